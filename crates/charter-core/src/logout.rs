//! Ending trust: RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2–§4) decided as a pure
//! function, and the back-channel logout messages that follow every ended session ([`delivery`], OpenID
//! Connect Back-Channel Logout 1.0).
//!
//! The endpoint parses the request ([`LogoutParams::from_pairs`]), verifies `id_token_hint` against the
//! node's keyring (signature and `iss` required, expiry ignored: a hint names a session, it authenticates
//! nobody), looks up the client the hint's `aud` or `client_id` names, and asks [`decide`] what to do:
//!
//! | request | outcome |
//! |---|---|
//! | `id_token_hint` that does not verify (forged, `alg: none`, an access token, another issuer) | error page |
//! | `client_id` unknown, or not the hint's `aud` | error page |
//! | `post_logout_redirect_uri` without a client, or not exactly one the client registered | error page (§3: never redirect to it) |
//! | the hint names the browser's session (`sid` and `sub` match) | sign out at once |
//! | a session, but the request cannot be tied to it | ask the user ("Sign out of Charter?") |
//! | no session | nothing to end: say so, or redirect |
//!
//! A valid `post_logout_redirect_uri` gets `state` appended and is where the browser goes afterwards;
//! without one, Charter shows its own signed-out page. Nothing in the request is ever a redirect target
//! unless it matched the client's registration byte for byte.

pub mod delivery;
pub mod outbox;
#[cfg(test)]
mod tests;

use thiserror::Error;
use url::Url;

use crate::client::Client;
use crate::ids::{ClientId, Subject};

/// The parameters of a logout request (RP-Initiated Logout §2). Each may be sent once; an empty value is
/// the same as an absent one; unknown parameters are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogoutParams {
    pub id_token_hint: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    pub client_id: Option<String>,
    pub logout_hint: Option<String>,
    pub ui_locales: Option<String>,
}

/// Why a logout request is refused. Shown on a page; never sent to a redirect URI (§4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum LogoutError {
    #[error("a parameter was sent more than once")]
    RepeatedParameter,
    #[error("id_token_hint is not a valid ID token of this provider")]
    InvalidIdTokenHint,
    #[error("client_id does not name a registered client")]
    UnknownClient,
    #[error("client_id is not the audience of id_token_hint")]
    ClientMismatch,
    #[error("post_logout_redirect_uri needs id_token_hint or client_id")]
    RedirectWithoutClient,
    #[error("post_logout_redirect_uri is not registered for this client")]
    UnregisteredRedirect,
}

impl LogoutParams {
    /// The names read from a request; every other name is ignored.
    pub const NAMES: [&'static str; 6] = [
        "id_token_hint",
        "post_logout_redirect_uri",
        "state",
        "client_id",
        "logout_hint",
        "ui_locales",
    ];

    /// Reads the query (GET) or form (POST) pairs as decoded, so that repeated parameters show.
    pub fn from_pairs(pairs: &[(String, String)]) -> Result<Self, LogoutError> {
        let mut values: [Option<String>; 6] = Default::default();
        for (name, value) in pairs {
            let Some(i) = Self::NAMES.iter().position(|n| n == name) else {
                continue;
            };
            if value.is_empty() {
                continue;
            }
            if values[i].is_some() {
                return Err(LogoutError::RepeatedParameter);
            }
            values[i] = Some(value.clone());
        }
        let [
            id_token_hint,
            post_logout_redirect_uri,
            state,
            client_id,
            logout_hint,
            ui_locales,
        ] = values;
        Ok(Self {
            id_token_hint,
            post_logout_redirect_uri,
            state,
            client_id,
            logout_hint,
            ui_locales,
        })
    }

    /// The pairs to carry through the confirmation form (re-validated when it comes back).
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        let values = [
            &self.id_token_hint,
            &self.post_logout_redirect_uri,
            &self.state,
            &self.client_id,
            &self.logout_hint,
            &self.ui_locales,
        ];
        Self::NAMES
            .iter()
            .zip(values)
            .filter_map(|(n, v)| v.as_ref().map(|v| ((*n).to_owned(), v.clone())))
            .collect()
    }
}

/// What a verified `id_token_hint` says (its signature and issuer checked by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedHint {
    pub sub: Subject,
    pub aud: ClientId,
    pub sid: Option<String>,
}

/// The hint as the endpoint found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Hint {
    Absent,
    /// Sent, but not an ID token this provider signed.
    Invalid,
    Valid(VerifiedHint),
}

/// The browser's current session, as far as logout cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentSession<'a> {
    pub sid: &'a str,
    pub sub: &'a Subject,
}

/// Everything [`decide`] needs.
#[derive(Debug, Clone)]
pub struct LogoutRequest<'a> {
    pub hint: &'a Hint,
    pub client_id: Option<&'a str>,
    /// The registered client named by the hint's `aud` (preferred) or `client_id`; None when neither names one.
    pub client: Option<&'a Client>,
    pub post_logout_redirect_uri: Option<&'a str>,
    pub state: Option<&'a str>,
    pub session: Option<CurrentSession<'a>>,
}

/// The client id a request names: the hint's audience, else `client_id` (they must agree when both are sent).
pub fn named_client<'a>(hint: &'a Hint, client_id: Option<&'a str>) -> Option<&'a str> {
    match hint {
        Hint::Valid(h) => Some(h.aud.as_str()),
        _ => client_id,
    }
}

/// What to do with a logout request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogoutOutcome {
    /// Refuse with an error page; sign nobody out, redirect nowhere.
    Refuse(LogoutError),
    /// The request names this browser's session: end it, then redirect (or show the signed-out page).
    SignOut { redirect: Option<Url> },
    /// A session exists but the request cannot be tied to it: ask the user first.
    Confirm { redirect: Option<Url> },
    /// Nothing to end: redirect, or tell the user they were not signed in.
    NoSession { redirect: Option<Url> },
}

/// Decides a logout request (RP-Initiated Logout §2–§4).
pub fn decide(req: &LogoutRequest<'_>) -> LogoutOutcome {
    let hint = match req.hint {
        Hint::Invalid => return LogoutOutcome::Refuse(LogoutError::InvalidIdTokenHint),
        Hint::Valid(h) => Some(h),
        Hint::Absent => None,
    };
    if let (Some(h), Some(id)) = (hint, req.client_id)
        && h.aud.as_str() != id
    {
        return LogoutOutcome::Refuse(LogoutError::ClientMismatch);
    }
    let client = match (req.client, hint, req.client_id) {
        (Some(c), _, _) => Some(c),
        // A hint of a client that has since been deleted, or a client_id nobody registered.
        (None, Some(_), _) | (None, None, Some(_)) => {
            return LogoutOutcome::Refuse(LogoutError::UnknownClient);
        }
        (None, None, None) => None,
    };
    let redirect = match (req.post_logout_redirect_uri, client) {
        (None, _) => None,
        (Some(_), None) => return LogoutOutcome::Refuse(LogoutError::RedirectWithoutClient),
        (Some(uri), Some(client)) => match registered(client, uri) {
            Some(url) => Some(with_state(url, req.state)),
            None => return LogoutOutcome::Refuse(LogoutError::UnregisteredRedirect),
        },
    };
    let Some(session) = req.session else {
        return LogoutOutcome::NoSession { redirect };
    };
    let tied = hint.is_some_and(|h| h.sid.as_deref() == Some(session.sid) && &h.sub == session.sub);
    if tied {
        LogoutOutcome::SignOut { redirect }
    } else {
        LogoutOutcome::Confirm { redirect }
    }
}

/// The registered URI equal, byte for byte, to `uri` (RP-Initiated Logout §3; no loopback port leniency).
fn registered(client: &Client, uri: &str) -> Option<Url> {
    client
        .metadata
        .post_logout_redirect_uris
        .iter()
        .find(|r| r.as_str() == uri)
        .map(|r| r.url().clone())
}

fn with_state(mut url: Url, state: Option<&str>) -> Url {
    if let Some(state) = state {
        url.query_pairs_mut().append_pair("state", state);
    }
    url
}
