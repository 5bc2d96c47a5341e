//! The authorization decision (OpenID Connect Core §3.1.2.3–§3.1.2.6): given a validated request, the
//! browser's session and the remembered consent, what happens next — sign in, consent, an error for the
//! client, or a code.

use crate::client::Client;
use crate::clock::Timestamp;
use crate::grant::{AuthorizationRequest, Consent};
use crate::session::Session;

/// The next step of an authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// The user must sign in (again).
    Login,
    /// The user must approve the client's access.
    Consent,
    /// Answer the client with this `prompt=none` error (`login_required`, `consent_required`).
    Fail(&'static str),
    /// Issue the authorization code.
    Issue,
}

/// Decides the next step.
///
/// - `session`: the browser's live session, if any.
/// - `parked_at`: when the request was parked, if it is being resumed. A sign-in demanded by `prompt=login`
///   or an exceeded `max_age` is satisfied by an authentication at or after that moment.
pub fn decide(
    request: &AuthorizationRequest,
    client: &Client,
    session: Option<&Session>,
    consent: Option<&Consent>,
    now: Timestamp,
    parked_at: Option<Timestamp>,
) -> Next {
    let prompt = request.prompt;
    let authenticated_since_request = |s: &Session| parked_at.is_some_and(|p| s.auth_time >= p);
    let needs_login = match session {
        None => true,
        Some(s) => {
            let hint_mismatch = request
                .id_token_hint_sub
                .as_ref()
                .is_some_and(|sub| *sub != s.user_sub);
            // max_age=0 demands a fresh authentication however recent the session (like prompt=login).
            let too_old = request
                .max_age
                .is_some_and(|max| max == 0 || s.age(now) > max);
            let forced = prompt.login || prompt.select_account;
            hint_mismatch || ((too_old || forced) && !authenticated_since_request(s))
        }
    };
    if needs_login {
        return if prompt.none {
            Next::Fail("login_required")
        } else {
            Next::Login
        };
    }
    let remembered = consent.is_some_and(|c| request.scope.is_subset_of(&c.scope));
    let needs_consent =
        !client.settings.skip_consent && (!remembered || (prompt.consent && parked_at.is_none()));
    if needs_consent {
        return if prompt.none {
            Next::Fail("consent_required")
        } else {
            Next::Consent
        };
    }
    Next::Issue
}

#[cfg(test)]
mod tests;
