//! Wiring: settings + database + state -> a running actix-web server with its background tasks.
//!
//! [`Application::build`] does everything that can fail (bind, connect, migrate, load secrets) before any
//! request is served, so a misconfigured node never half-starts. The test kit calls the same function with
//! port 0, a fresh database and a pinned clock.
//!
//! With `admin_listen` set, a second server on that address serves the admin API, `/metrics` and the health
//! checks, and the main listener does not serve the first two at all: binding them to an internal address keeps
//! them off the internet whatever the proxy in front forwards. Both servers share one [`AppState`] and stop on
//! the same signal.

use std::future::Future;
use std::net::{SocketAddr, TcpListener};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::middleware::{DefaultHeaders, from_fn};
use actix_web::{App, HttpServer, web};
use charter_core::csrf::CsrfKey;
use charter_core::discovery::{Capabilities, ProviderMetadata};
use charter_core::issuer::Issuer;
use charter_core::random::{SystemTokenGenerator, TokenGenerator};
use charter_core::secret::SecretHasher;
use charter_core::store::Store;
use charter_core::{Clock, SystemClock};
use charter_endpoints::cors::AllowedOrigins;
use charter_endpoints::hashing::HashPool;
use charter_endpoints::state::TokenConfig;
use charter_endpoints::{AppState, Documents, Precomputed};
use charter_keys::SharedKeyring;
use charter_keys::manager::{FreshKeys, KeyGenerator, KeyManager};
use charter_registry::ClientCache;
use charter_storage::SeaStore;
use tracing_actix_web::TracingLogger;

use crate::database;
use crate::settings::{IssuerSetting, Settings, issuer_from_listen};
use crate::{backchannel, secrets, sweeper};

/// Why start-up failed. Configuration problems exit with code 2, the rest with 1.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("{0}")]
    Config(#[from] crate::settings::ConfigError),
    #[error("{0}")]
    Failed(String),
}

/// Time, randomness and key generation, injectable for tests.
#[derive(Debug, Clone)]
pub struct Deps {
    pub clock: Arc<dyn Clock>,
    pub rng: Arc<dyn TokenGenerator>,
    /// Fresh keys by default; the test kit hands out pre-generated RSA keys (RSA generation is slow).
    pub keygen: Option<Arc<dyn KeyGenerator>>,
}

impl Default for Deps {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
            rng: Arc::new(SystemTokenGenerator::new()),
            keygen: None,
        }
    }
}

/// How long start-up waits for signing keys (another node may be generating them).
const KEY_BOOTSTRAP_TIMEOUT: Duration = Duration::from_secs(30);

/// What stops the server gracefully.
pub enum Shutdown {
    /// SIGTERM or SIGINT (production).
    OsSignals,
    /// A future of the caller's (tests).
    Custom(Pin<Box<dyn Future<Output = ()> + Send>>),
}

impl std::fmt::Debug for Shutdown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::OsSignals => "Shutdown::OsSignals",
            Self::Custom(_) => "Shutdown::Custom",
        })
    }
}

async fn os_signals() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM received; shutting down gracefully"),
                    _ = int.recv() => tracing::info!("SIGINT received; shutting down gracefully"),
                }
            }
            _ => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

impl Shutdown {
    /// The same signal, which also starts the graceful stop of `other` (the admin listener's server), so both
    /// servers drain at the same time.
    fn also_stopping(self, other: ServerHandle) -> Self {
        let signal: Pin<Box<dyn Future<Output = ()> + Send>> = match self {
            Self::OsSignals => Box::pin(os_signals()),
            Self::Custom(fut) => fut,
        };
        Self::Custom(Box::pin(async move {
            signal.await;
            // Not awaited here: the main server starts its own stop as soon as this future ends.
            tokio::spawn(other.stop(true));
        }))
    }
}

/// A built, not yet running, Charter.
pub struct Application {
    server: actix_web::dev::Server,
    local_addr: SocketAddr,
    /// The admin listener's server and address, when `admin_listen` is set.
    admin_server: Option<actix_web::dev::Server>,
    admin_addr: Option<SocketAddr>,
    issuer: Issuer,
    state: AppState,
    store: SeaStore,
    settings: Settings,
    node_id: String,
    key_manager: KeyManager,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("local_addr", &self.local_addr)
            .field("admin_addr", &self.admin_addr)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl Application {
    pub async fn build(
        settings: Settings,
        deps: Deps,
        shutdown: Shutdown,
    ) -> Result<Self, StartupError> {
        let (listener, local_addr) = bind(settings.listen, "")?;
        let admin = settings
            .admin_listen
            .map(|addr| bind(addr, " (admin_listen)"))
            .transpose()?;
        let issuer = match &settings.issuer {
            IssuerSetting::Configured(i) => i.clone(),
            IssuerSetting::FromListen => issuer_from_listen(local_addr)?,
        };

        let store = database::open_with_retry(&settings)
            .await
            .map_err(StartupError::Failed)?;
        let pepper_in_use = secrets::pepper_in_use(&store)
            .await
            .map_err(StartupError::Failed)?;
        let pepper = secrets::load_pepper(&settings.pepper, deps.rng.as_ref(), pepper_in_use)
            .map_err(StartupError::Failed)?;

        if let crate::settings::KekSource::DataDir(path) = &settings.kek {
            tracing::warn!(
                path = %path.display(),
                "signing keys are encrypted under a key-encryption key kept in the data directory; in \
                 production, configure key_encryption_key (CHARTER_KEY_ENCRYPTION_KEY) from your secret store"
            );
        }
        let shared: Arc<dyn Store> = Arc::new(store.clone());
        let node_id = deps.rng.token(12);
        let key_manager = key_manager(&settings, &deps, shared.clone(), node_id.clone()).await?;
        let keyring = key_manager
            .bootstrap(KEY_BOOTSTRAP_TIMEOUT)
            .await
            .map_err(|e| StartupError::Failed(format!("cannot load the signing keys: {e}")))?;

        let clients = Arc::new(ClientCache::new(
            shared.clone(),
            deps.clock.clone(),
            ClientCache::DEFAULT_TTL,
            ClientCache::DEFAULT_CAPACITY,
        ));
        let cors = Arc::new(AllowedOrigins::new(
            shared.clone(),
            deps.clock.clone(),
            AllowedOrigins::DEFAULT_TTL,
        ));
        let outbound = charter_outbound::Outbound::new(settings.outbound.clone()).map_err(|e| {
            StartupError::Failed(format!("cannot build the outbound HTTP client: {e}"))
        })?;
        let client_keys = charter_endpoints::client_auth::client_key_cache(&outbound);
        let state = AppState {
            cors,
            store: shared,
            clients,
            issuer: issuer.clone(),
            clock: deps.clock.clone(),
            rng: deps.rng.clone(),
            trusted_proxies: Arc::new(settings.server.trusted_proxies.clone()),
            secret_hasher: Arc::new(SecretHasher::new(pepper.clone())),
            keys: Arc::new(SharedKeyring::new(keyring)),
            signing_algs: settings.keys.algorithms.clone().into(),
            documents: Arc::new(documents(&issuer, &settings)?),
            jwks_max_age_secs: settings.keys.jwks_max_age.as_secs(),
            csrf: Arc::new(CsrfKey::derive(&pepper)),
            session_policy: settings.session_policy,
            password_policy: settings.password_policy,
            hash_pool: Arc::new(HashPool::new(
                settings.hash_concurrency,
                settings.hash_queue,
            )),
            dummy_hash: dummy_hash(&deps)?,
            tokens: TokenConfig {
                id_token_alg: settings.tokens.id_token_alg,
                access_token_alg: settings.tokens.access_token_alg,
                id_token_lifetime: settings.tokens.id_token_lifetime,
                access_token_lifetime: settings.tokens.access_token_lifetime,
                max_access_token_lifetime: settings.tokens.max_access_token_lifetime,
                clock_skew: settings.tokens.clock_skew,
                refresh_token_idle_lifetime: settings.tokens.refresh_token_idle_lifetime,
                refresh_token_absolute_lifetime: settings.tokens.refresh_token_absolute_lifetime,
            },
            device: settings.device,
            logout_outbox: Arc::new(tokio::sync::Notify::new()),
            registration: charter_endpoints::registration::RegistrationConfig {
                mode: settings.registration.mode,
                allowed_scopes: settings.registration.allowed_scopes.clone(),
                rate_limit: settings.registration.rate_limit,
            },
            admin_token_hash: settings.admin_token_hash.as_deref().map(Arc::from),
            outbound,
            client_keys,
            revocations: Arc::new(revocation_view(&settings)),
            metrics: Arc::new(charter_endpoints::metrics::Metrics::new(
                settings.metrics.enabled,
            )),
        };
        // Read before serving, so introspection on this node is exact from its first request; if the database
        // does not answer, the view stays "unknown" and introspection asks the database until a poll succeeds.
        if let Err(e) = state
            .revocations
            .refresh(state.store.as_ref(), state.clock.now())
            .await
        {
            tracing::warn!(error = %e, "could not read recent revocations at start-up");
        }

        let (admin_server, admin_addr, routes, shutdown) = match admin {
            Some((admin_listener, admin_addr)) => {
                let admin_server = admin_server(&settings, state.clone(), admin_listener)?;
                let shutdown = shutdown.also_stopping(admin_server.handle());
                let routes: fn(&mut web::ServiceConfig) = charter_endpoints::configure_public;
                (Some(admin_server), Some(admin_addr), routes, shutdown)
            }
            None => (None, None, charter_endpoints::configure as _, shutdown),
        };
        let server = http_server(&settings, state.clone(), listener, routes, shutdown)?;
        Ok(Self {
            server,
            local_addr,
            admin_server,
            admin_addr,
            issuer,
            state,
            store,
            settings,
            node_id,
            key_manager,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The admin listener's bound address; None when the admin API is on the main listener.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin_addr
    }

    pub fn issuer(&self) -> &Issuer {
        &self.issuer
    }

    /// The key manager (tests drive maintenance through it with a pinned clock).
    pub fn key_manager(&self) -> &KeyManager {
        &self.key_manager
    }

    /// This node's key task (tests run its rounds with a pinned clock: maintenance, audit, metrics, reload).
    pub fn key_task(&self) -> crate::keys::KeyTask {
        crate::keys::KeyTask {
            manager: self.key_manager.clone(),
            keyring: self.state.keys.clone(),
            metrics: self.state.metrics.clone(),
        }
    }

    /// The keyring this node serves from.
    pub fn keyring(&self) -> Arc<SharedKeyring> {
        self.state.keys.clone()
    }

    /// The back-channel logout delivery of this node (tests run rounds through it with a pinned clock).
    pub fn logout_delivery(&self) -> backchannel::Delivery {
        backchannel::Delivery {
            store: self.state.store.clone(),
            keys: self.state.keys.clone(),
            issuer: self.issuer.clone(),
            clock: self.state.clock.clone(),
            outbound: self.state.outbound.clone(),
            default_alg: self.settings.tokens.id_token_alg,
            node_id: self.node_id.clone(),
            settings: self.settings.logout.clone(),
        }
    }

    /// The signal that wakes this node's back-channel delivery (sent whenever a session ends with messages).
    pub fn logout_wakeup(&self) -> Arc<tokio::sync::Notify> {
        self.state.logout_outbox.clone()
    }

    /// Serves until the shutdown signal, then lets in-flight requests finish (bounded by
    /// `server.shutdown_timeout`), stops background work and closes the database.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let delivery = self.logout_delivery();
        let Self {
            server,
            admin_server,
            admin_addr,
            state,
            store,
            settings,
            node_id,
            local_addr,
            issuer,
            key_manager,
        } = self;
        let keys_task = crate::keys::spawn(
            key_manager.clone(),
            state.keys.clone(),
            state.metrics.clone(),
            settings.keys.refresh_interval,
        );
        let sweeper = settings.sweeper.enabled.then(|| {
            sweeper::spawn(
                state.store.clone(),
                state.clock.clone(),
                state.rng.clone(),
                sweeper::Sweeping {
                    settings: settings.sweeper.clone(),
                    node_id: node_id.clone(),
                    audit_retention: settings.audit.retention,
                    metrics: state.metrics.clone(),
                },
            )
        });
        let delivery_task = backchannel::spawn(delivery, state.logout_outbox.clone());
        let revocations_task = charter_endpoints::revocations::spawn_poller(
            state.revocations.clone(),
            state.store.clone(),
            state.clock.clone(),
            settings.tokens.revocation_refresh_interval,
        );
        tracing::info!(%local_addr, %issuer, "charter is serving");
        if let Some(admin_addr) = admin_addr {
            tracing::info!(%admin_addr, "the admin API and /metrics are served on the admin listener");
        }
        let result = serve(server, admin_server).await;
        delivery_task.abort();
        revocations_task.abort();
        if let Some(task) = sweeper {
            task.abort();
        }
        keys_task.abort();
        sweeper::release(state.store.as_ref(), &node_id).await;
        let _ = state
            .store
            .release_lease(charter_keys::manager::LEASE, &node_id)
            .await;
        drop(state);
        store.close().await;
        tracing::info!("charter stopped");
        result
    }
}

/// The node's revocation view: revocations younger than the longest access-token lifetime (plus skew) can
/// concern a live token; polls overlap by the skew; the view stops answering after three missed polls.
fn revocation_view(settings: &Settings) -> charter_endpoints::revocations::RevocationView {
    let t = &settings.tokens;
    charter_endpoints::revocations::RevocationView::new(
        t.max_access_token_lifetime + t.clock_skew,
        t.clock_skew,
        t.revocation_refresh_interval * 3 + std::time::Duration::from_secs(1),
    )
}

pub async fn key_manager(
    settings: &Settings,
    deps: &Deps,
    store: Arc<dyn Store>,
    node_id: String,
) -> Result<KeyManager, StartupError> {
    let keys_exist = !store
        .list_keys()
        .await
        .map_err(|e| StartupError::Failed(format!("cannot read the signing keys: {e}")))?
        .is_empty();
    let kek = secrets::load_kek(&settings.kek, deps.rng.as_ref(), keys_exist)
        .map_err(StartupError::Failed)?;
    let keygen = deps
        .keygen
        .clone()
        .unwrap_or_else(|| Arc::new(FreshKeys(deps.rng.clone())));
    Ok(KeyManager {
        store,
        kek,
        keygen,
        clock: deps.clock.clone(),
        settings: settings.keys.manager_settings(&settings.tokens),
        node_id,
    })
}

/// A hash of a random password, so that signing in as an unknown user costs as much as a wrong password.
fn dummy_hash(deps: &Deps) -> Result<Arc<str>, StartupError> {
    charter_core::password::dummy_hash(deps.rng.as_ref())
        .map(Arc::from)
        .map_err(|e| StartupError::Failed(e.to_string()))
}

/// The discovery documents, serialised once.
fn documents(issuer: &Issuer, settings: &Settings) -> Result<Documents, StartupError> {
    let caps = Capabilities {
        id_token_signing_algs: settings
            .keys
            .algorithms
            .iter()
            .map(|a| a.as_str().to_owned())
            .collect(),
        authorization_endpoint: true,
        token_endpoint: true,
        userinfo_endpoint: true,
        introspection_endpoint: true,
        revocation_endpoint: true,
        device_authorization_endpoint: true,
        logout: true,
        token_endpoint_auth_methods: [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none",
        ]
        .map(str::to_owned)
        .to_vec(),
        grant_types: [
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "urn:ietf:params:oauth:grant-type:device_code",
        ]
        .map(str::to_owned)
        .to_vec(),
        claims_parameter: true,
        registration_endpoint: settings.registration.mode.is_enabled(),
    };
    let metadata = ProviderMetadata::new(issuer, &caps);
    let fail = |e: serde_json::Error| {
        StartupError::Failed(format!("cannot build the discovery document: {e}"))
    };
    Ok(Documents {
        openid_configuration: Precomputed::new(&metadata).map_err(fail)?,
        oauth_authorization_server: Precomputed::new(&metadata).map_err(fail)?,
    })
}

/// Binds `addr` before anything is served, so a taken or unavailable port is a start-up failure (exit code 1).
fn bind(addr: SocketAddr, which: &str) -> Result<(TcpListener, SocketAddr), StartupError> {
    let listener = TcpListener::bind(addr)
        .map_err(|e| StartupError::Failed(format!("cannot listen on {addr}{which}: {e}")))?;
    let local_addr = listener
        .local_addr()
        .map_err(|e| StartupError::Failed(e.to_string()))?;
    Ok((listener, local_addr))
}

/// Runs the main server and, when configured, the admin listener's, until both have stopped. The shutdown
/// signal stops both (see [`Shutdown::also_stopping`]); should either end on its own (it failed to start), the
/// other is stopped too, so a node never keeps running half-served. Both futures are polled to the end: a
/// server only completes a stop while it is polled.
async fn serve(
    main: actix_web::dev::Server,
    admin: Option<actix_web::dev::Server>,
) -> std::io::Result<()> {
    let Some(admin) = admin else {
        return main.await;
    };
    let (main_handle, admin_handle) = (main.handle(), admin.handle());
    let main = async move {
        let result = main.await;
        tokio::spawn(admin_handle.stop(true));
        result
    };
    let admin = async move {
        let result = admin.await;
        tokio::spawn(main_handle.stop(true));
        result
    };
    let (main, admin) = tokio::join!(main, admin);
    main.and(admin)
}

/// The admin listener's server: the admin API, `/metrics` and the health checks, with the middleware that
/// matters for them (panics, request ids, request metrics, tracing, body limits). No per-address rate limit and
/// no HTML error pages: its callers are operators' tools and scrapers. One worker of its own keeps it answering
/// while the main listener's workers are saturated.
fn admin_server(
    settings: &Settings,
    state: AppState,
    listener: TcpListener,
) -> Result<actix_web::dev::Server, StartupError> {
    let body_limit = settings.server.max_body_size;
    let data = web::Data::new(state);
    let timeouts = settings.server.timeouts;
    let server = HttpServer::new(move || {
        App::new()
            .wrap(from_fn(charter_endpoints::panics::catch_panic))
            .wrap(DefaultHeaders::new().add(("X-Content-Type-Options", "nosniff")))
            .wrap(from_fn(
                charter_endpoints::request_id::add_request_id_header,
            ))
            .wrap(from_fn(charter_endpoints::metrics::track))
            .wrap(TracingLogger::default())
            .app_data(data.clone())
            .app_data(web::PayloadConfig::new(body_limit))
            .app_data(web::FormConfig::default().limit(body_limit))
            .app_data(web::JsonConfig::default().limit(body_limit))
            .configure(charter_endpoints::configure_admin_listener)
    })
    .workers(1)
    // Stopped through its handle, together with the main server, never by a signal of its own.
    .disable_signals()
    .shutdown_timeout(settings.server.shutdown_timeout.as_secs().max(1))
    .client_request_timeout(timeouts.request)
    .client_disconnect_timeout(timeouts.disconnect)
    .keep_alive(timeouts.keep_alive)
    .listen(listener)
    .map_err(|e| StartupError::Failed(format!("cannot serve the admin listener: {e}")))?;
    Ok(server.run())
}

/// The main server. `routes` is every route, or every route but the admin API and `/metrics` when those are
/// on the admin listener.
fn http_server(
    settings: &Settings,
    state: AppState,
    listener: TcpListener,
    routes: fn(&mut web::ServiceConfig),
    shutdown: Shutdown,
) -> Result<actix_web::dev::Server, StartupError> {
    let body_limit = settings.server.max_body_size;
    let data = web::Data::new(state);
    let limits = web::Data::new(charter_endpoints::limits::RateLimits::new(
        settings.limits.per_ip,
        settings.limits.per_client,
    ));
    let timeouts = settings.server.timeouts;
    let mut server = HttpServer::new(move || {
        // The first `wrap` is the innermost: panics, HTML errors and 429s still get the shared headers.
        App::new()
            .wrap(from_fn(charter_endpoints::panics::catch_panic))
            .wrap(from_fn(charter_endpoints::pages::errors::html_errors))
            .wrap(from_fn(charter_endpoints::limits::per_ip))
            .wrap(DefaultHeaders::new().add(("X-Content-Type-Options", "nosniff")))
            .wrap(from_fn(
                charter_endpoints::request_id::add_request_id_header,
            ))
            .wrap(from_fn(charter_endpoints::metrics::track))
            .wrap(TracingLogger::default())
            .app_data(data.clone())
            .app_data(limits.clone())
            .app_data(web::PayloadConfig::new(body_limit))
            .app_data(web::FormConfig::default().limit(body_limit))
            .app_data(web::JsonConfig::default().limit(body_limit))
            .configure(routes)
    })
    .shutdown_timeout(settings.server.shutdown_timeout.as_secs().max(1))
    .client_request_timeout(timeouts.request)
    .client_disconnect_timeout(timeouts.disconnect)
    .keep_alive(timeouts.keep_alive)
    .listen(listener)
    .map_err(|e| StartupError::Failed(format!("cannot serve: {e}")))?;
    if settings.server.workers > 0 {
        server = server.workers(settings.server.workers);
    }
    server = match shutdown {
        Shutdown::OsSignals => server.shutdown_signal(os_signals()),
        Shutdown::Custom(fut) => server.shutdown_signal(fut),
    };
    Ok(server.run())
}
