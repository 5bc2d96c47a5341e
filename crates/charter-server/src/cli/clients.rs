//! `charter clients ...`: create, list, show, delete, rotate-secret. Flags map one to one onto RFC 7591 client
//! metadata; validation is the registry's (`charter_registry::validate`), shared with the admin API.

use std::time::Duration;

use charter_core::client::ClientRecord;
use charter_core::ids::ClientId;
use charter_core::store::{ClientStore, Page};
use charter_registry::{
    ClientRequest, ClientView, RegistrationPolicy, register_client, rotate_secret,
};
use clap::{Args, Subcommand};

use super::Context;
use super::output::{self, Failure};

#[derive(Debug, Subcommand)]
pub enum ClientsCommand {
    /// Register a client. Its secret (confidential clients only) is shown once.
    Create(Box<CreateArgs>),
    /// List clients, ordered by client_id.
    List {
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[arg(long)]
        after: Option<String>,
    },
    /// Show one client.
    Show { client_id: String },
    /// Delete a client and everything issued to it.
    Delete { client_id: String },
    /// Issue a new secret; with --keep-old-for the old one keeps working for that long (e.g. 24h).
    RotateSecret {
        client_id: String,
        #[arg(long, value_parser = humantime::parse_duration)]
        keep_old_for: Option<Duration>,
    },
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Shown to users on the consent page.
    #[arg(long)]
    name: String,
    /// A redirect URI (repeatable). Required with the authorization_code grant.
    #[arg(long = "redirect-uri", value_name = "URI")]
    redirect_uris: Vec<String>,
    /// A grant type (repeatable): authorization_code, refresh_token, client_credentials,
    /// urn:ietf:params:oauth:grant-type:device_code. Default: authorization_code.
    #[arg(long = "grant-type", value_name = "GRANT")]
    grant_types: Vec<String>,
    /// Space-separated scopes the client may ask for.
    #[arg(long)]
    scope: Option<String>,
    /// client_secret_basic (default), client_secret_post, private_key_jwt or none (public client).
    #[arg(long, value_name = "METHOD")]
    auth_method: Option<String>,
    /// web (default) or native (RFC 8252: private-use schemes, loopback redirects on any port).
    #[arg(long, value_name = "TYPE")]
    application_type: Option<String>,
    /// Where RP-initiated logout may return to (repeatable).
    #[arg(long = "post-logout-redirect-uri", value_name = "URI")]
    post_logout_redirect_uris: Vec<String>,
    #[arg(long, value_name = "URI")]
    backchannel_logout_uri: Option<String>,
    #[arg(long)]
    backchannel_logout_session_required: bool,
    /// Where a private_key_jwt client publishes its public keys (a JWK Set, fetched over https).
    #[arg(long, value_name = "URI", conflicts_with = "jwks")]
    jwks_uri: Option<String>,
    /// A private_key_jwt client's public keys, inline: a JWK Set as JSON, or @FILE to read it from a file.
    #[arg(long, value_name = "JSON|@FILE")]
    jwks: Option<String>,
    /// RS256 (default), PS256, ES256 or EdDSA.
    #[arg(long, value_name = "ALG")]
    id_token_signed_response_alg: Option<String>,
    #[arg(long, value_name = "URI")]
    logo_uri: Option<String>,
    #[arg(long, value_name = "URI")]
    client_uri: Option<String>,
    #[arg(long, value_name = "URI")]
    policy_uri: Option<String>,
    #[arg(long, value_name = "URI")]
    tos_uri: Option<String>,
    /// A contact email address (repeatable).
    #[arg(long = "contact", value_name = "EMAIL")]
    contacts: Vec<String>,
    /// An audience (RFC 8707 resource) this client may request tokens for (repeatable).
    #[arg(long = "audience", value_name = "URI")]
    audiences: Vec<String>,
    /// Do not require PKCE (confidential clients only; they must then send a nonce with openid).
    #[arg(long)]
    no_require_pkce: bool,
    /// Skip the consent page (first-party applications an operator trusts).
    #[arg(long)]
    skip_consent: bool,
    /// Access token lifetime for this client (e.g. 5m).
    #[arg(long, value_parser = humantime::parse_duration)]
    access_token_lifetime: Option<Duration>,
}

impl CreateArgs {
    fn into_request(self) -> Result<ClientRequest, Failure> {
        let non_empty = |v: Vec<String>| (!v.is_empty()).then_some(v);
        let jwks = self.jwks.as_deref().map(read_jwks).transpose()?;
        Ok(ClientRequest {
            client_name: Some(self.name),
            redirect_uris: self.redirect_uris,
            post_logout_redirect_uris: self.post_logout_redirect_uris,
            grant_types: non_empty(self.grant_types),
            response_types: None,
            token_endpoint_auth_method: self.auth_method,
            scope: self.scope,
            application_type: self.application_type,
            contacts: self.contacts,
            logo_uri: self.logo_uri,
            client_uri: self.client_uri,
            policy_uri: self.policy_uri,
            tos_uri: self.tos_uri,
            jwks_uri: self.jwks_uri,
            jwks,
            id_token_signed_response_alg: self.id_token_signed_response_alg,
            backchannel_logout_uri: self.backchannel_logout_uri,
            backchannel_logout_session_required: Some(self.backchannel_logout_session_required),
            require_pkce: self.no_require_pkce.then_some(false),
            audiences: self.audiences,
            skip_consent: self.skip_consent.then_some(true),
            access_token_lifetime_secs: self.access_token_lifetime.map(|d| d.as_secs()),
            refresh_token_idle_lifetime_secs: None,
            refresh_token_absolute_lifetime_secs: None,
        })
    }
}

/// `--jwks`: JSON, or `@path` to a file holding it. Whether it is a valid JWK Set is the registry's call.
fn read_jwks(arg: &str) -> Result<serde_json::Value, Failure> {
    let text = match arg.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| Failure::config(format!("--jwks: cannot read {path}: {e}")))?,
        None => arg.to_owned(),
    };
    serde_json::from_str(&text).map_err(|e| Failure::config(format!("--jwks is not JSON: {e}")))
}

fn print_client(ctx: &Context, record: &ClientRecord, secret: Option<&str>) -> Result<(), Failure> {
    let view = ClientView::new(&record.client, secret);
    output::print(ctx.json, &view, |v| {
        output::key_values(&serde_json::to_value(v).unwrap_or_default())
    })
}

fn parse_id(raw: &str) -> Result<ClientId, Failure> {
    ClientId::parse(raw).map_err(|e| Failure::runtime(format!("invalid client_id {raw:?}: {e}")))
}

async fn find(ctx: &Context, raw: &str) -> Result<ClientRecord, Failure> {
    let id = parse_id(raw)?;
    ctx.store
        .find_client(&id)
        .await
        .map_err(Failure::runtime)?
        .ok_or_else(|| Failure::runtime(format!("no client {raw:?}")))
}

pub async fn run(ctx: &Context, cmd: ClientsCommand) -> Result<(), Failure> {
    match cmd {
        ClientsCommand::Create(args) => {
            let registered = register_client(
                &ctx.store,
                &ctx.hasher,
                &ctx.rng,
                &ctx.clock,
                args.into_request()?,
                &RegistrationPolicy::operator(),
            )
            .await
            .map_err(Failure::runtime)?;
            let event = super::audit::event(ctx, charter_core::audit::AuditKind::ClientCreated)
                .client(registered.record.client.id.as_str());
            super::audit::record(ctx, event).await;
            print_client(ctx, &registered.record, registered.secret.as_deref())
        }
        ClientsCommand::List { limit, after } => {
            let page = Page {
                after,
                ..Page::first(limit)
            };
            let records = ctx
                .store
                .list_clients(&page)
                .await
                .map_err(Failure::runtime)?;
            let views: Vec<ClientView<'_>> = records
                .iter()
                .map(|r| ClientView::new(&r.client, None))
                .collect();
            output::print(ctx.json, &views, |vs| {
                vs.iter()
                    .map(|v| format!("{}  {}", v.client_id, v.metadata.client_name))
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        ClientsCommand::Show { client_id } => {
            let record = find(ctx, &client_id).await?;
            print_client(ctx, &record, None)
        }
        ClientsCommand::Delete { client_id } => {
            let id = parse_id(&client_id)?;
            if !ctx
                .store
                .delete_client(&id)
                .await
                .map_err(Failure::runtime)?
            {
                return Err(Failure::runtime(format!("no client {client_id:?}")));
            }
            let event = super::audit::event(ctx, charter_core::audit::AuditKind::ClientDeleted)
                .client(id.as_str());
            super::audit::record(ctx, event).await;
            output::print(
                ctx.json,
                &serde_json::json!({ "client_id": client_id, "deleted": true }),
                |_| format!("deleted client {client_id}"),
            )
        }
        ClientsCommand::RotateSecret {
            client_id,
            keep_old_for,
        } => {
            let id = parse_id(&client_id)?;
            let secret = rotate_secret(
                &ctx.store,
                &ctx.hasher,
                &ctx.rng,
                &ctx.clock,
                &id,
                keep_old_for,
            )
            .await
            .map_err(Failure::runtime)?;
            let event =
                super::audit::event(ctx, charter_core::audit::AuditKind::ClientSecretRotated)
                    .client(id.as_str());
            super::audit::record(ctx, event).await;
            let record = find(ctx, &client_id).await?;
            print_client(ctx, &record, Some(&secret))
        }
    }
}
