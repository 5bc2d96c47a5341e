//! The authorization decision (OpenID Connect Core §3.1.2.3–§3.1.2.6): given a validated request, the
//! browser's session and the remembered consent, what happens next — sign in, consent, an error for the
//! client, or a code.
//!
//! A `sub` value in the `claims` parameter (Core §5.5.1, §3.1.2.2) is treated like an `id_token_hint`: a
//! session of another user must sign in again (`login_required` with `prompt=none`). Unlike a hint, it is a
//! requirement, not a suggestion: if the user who signs in in answer to the request is still not the one named,
//! the request fails with `access_denied` — Charter never issues tokens about another user than the one asked
//! for. Individually requested claims need consent like scopes: they are covered by a remembered consent to
//! the scope that releases them (`email` by `email`, ...), see [`consent_scope`].

use crate::client::Client;
use crate::clock::Timestamp;
use crate::grant::{AuthorizationRequest, Consent};
use crate::scope::ScopeSet;
use crate::session::Session;
use crate::token::userinfo::scope_of_claim;

/// The next step of an authorization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// The user must sign in (again).
    Login,
    /// The user must approve the client's access.
    Consent,
    /// Answer the client with this error: `login_required` or `consent_required` for `prompt=none`,
    /// `access_denied` when the user who signed in is not the one the request names by `sub`.
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
        Some(s)
            if !request
                .claims
                .as_ref()
                .is_none_or(|c| c.allows_subject(&s.user_sub)) =>
        {
            if authenticated_since_request(s) {
                return Next::Fail("access_denied");
            }
            true
        }
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
    let remembered = consent.is_some_and(|c| consent_scope(request).is_subset_of(&c.scope));
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

/// What consenting to `request` grants: its scopes, and the scope that releases each claim it asks for
/// individually (`claims` parameter). A remembered consent covers the request when it includes all of them; an
/// approved request is remembered as this set.
pub fn consent_scope(request: &AuthorizationRequest) -> ScopeSet {
    let mut scope = request.scope.clone();
    if let Some(claims) = &request.claims {
        let implied: Vec<&str> = claims.names().filter_map(scope_of_claim).collect();
        if let Ok(implied) = ScopeSet::parse(&implied.join(" ")) {
            scope = scope.iter().chain(implied.iter()).cloned().collect();
        }
    }
    scope
}

#[cfg(test)]
mod tests;
