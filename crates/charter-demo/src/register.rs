//! The demo registers itself with Charter through the registry service that `charter clients create` uses,
//! on the database `charter serve` uses (same configuration: `config/default.toml`, `--config`, `CHARTER_*`).
//! A client named "Charter demo" with this redirect URI is reused, with a fresh secret each start (secrets are
//! stored hashed, so an old one cannot be read back).

use anyhow::{Context, anyhow};
use charter_core::SystemClock;
use charter_core::random::SystemTokenGenerator;
use charter_core::secret::SecretHasher;
use charter_core::store::{ClientStore, Page};
use charter_registry::metadata::{ClientRequest, RegistrationPolicy};
use charter_registry::service::{register_client, rotate_secret};
use charter_server::settings::Settings;
use charter_server::{database, secrets};

pub const CLIENT_NAME: &str = "Charter demo";

/// The demo's client_id and a secret valid from now on.
#[derive(Debug, Clone)]
pub struct Registration {
    pub client_id: String,
    pub secret: String,
}

pub async fn ensure_client(
    settings: &Settings,
    redirect_uri: &str,
    post_logout_uri: &str,
) -> anyhow::Result<Registration> {
    let store = database::open(settings).await.map_err(|e| anyhow!(e))?;
    let rng = SystemTokenGenerator::new();
    let in_use = secrets::pepper_in_use(&store)
        .await
        .map_err(|e| anyhow!(e))?;
    let pepper = secrets::load_pepper(&settings.pepper, &rng, in_use).map_err(|e| anyhow!(e))?;
    let hasher = SecretHasher::new(pepper);

    let mut page = Page::first(200);
    let existing = loop {
        let clients = store.list_clients(&page).await?;
        let found = clients.iter().find(|c| {
            c.client.metadata.client_name == CLIENT_NAME
                && c.client
                    .metadata
                    .redirect_uris
                    .iter()
                    .any(|u| u.as_str() == redirect_uri)
        });
        if let Some(c) = found {
            break Some(c.client.id.clone());
        }
        match clients.last() {
            Some(last) if clients.len() == 200 => {
                page = Page {
                    after: Some(last.client.id.as_str().to_owned()),
                    limit: 200,
                }
            }
            _ => break None,
        }
    };

    let registration = match existing {
        Some(id) => {
            let secret = rotate_secret(&store, &hasher, &rng, &SystemClock, &id, None)
                .await
                .context("rotate the demo client's secret")?;
            Registration {
                client_id: id.as_str().to_owned(),
                secret,
            }
        }
        None => {
            let req = ClientRequest {
                client_name: Some(CLIENT_NAME.to_owned()),
                redirect_uris: vec![redirect_uri.to_owned()],
                post_logout_redirect_uris: vec![post_logout_uri.to_owned()],
                grant_types: Some(vec![
                    "authorization_code".to_owned(),
                    "refresh_token".to_owned(),
                ]),
                scope: Some("openid profile email offline_access".to_owned()),
                ..ClientRequest::default()
            };
            let c = register_client(
                &store,
                &hasher,
                &rng,
                &SystemClock,
                req,
                &RegistrationPolicy::operator(),
            )
            .await
            .context("register the demo client")?;
            Registration {
                client_id: c.record.client.id.as_str().to_owned(),
                secret: c.secret.context("a confidential client gets a secret")?,
            }
        }
    };
    store.close().await;
    Ok(registration)
}
