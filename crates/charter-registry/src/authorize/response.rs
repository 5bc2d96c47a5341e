//! The parameters of an authorization response (RFC 6749 §4.1.2 and §4.1.2.1), with `iss` on every one of them
//! (RFC 9207). They go in the redirect URI's query, or in the form of a `form_post` page: the caller encodes them.

use super::RedirectError;

/// The parameters of a redirected error response, in order: `error`, `error_description`, `state` (when the
/// request had one), `iss` (RFC 9207). Characters RFC 6749 §4.1.2.1 forbids in `error_description` (anything
/// but printable ASCII without `"` and `\`) are dropped.
pub fn redirect_params(
    error: &RedirectError,
    description: &str,
    state: Option<&str>,
    issuer: &str,
) -> Vec<(&'static str, String)> {
    let description = description
        .chars()
        .filter(|&c| matches!(c, ' '..='~') && c != '"' && c != '\\')
        .collect();
    let mut out = vec![
        ("error", error.as_str().to_owned()),
        ("error_description", description),
    ];
    out.extend(state_and_issuer(state, issuer));
    out
}

/// The parameters of a successful authorization response, in order: `code`, `state` (when the request had one),
/// `iss` (RFC 9207).
pub fn success_params(
    code: &str,
    state: Option<&str>,
    issuer: &str,
) -> Vec<(&'static str, String)> {
    let mut out = vec![("code", code.to_owned())];
    out.extend(state_and_issuer(state, issuer));
    out
}

fn state_and_issuer(state: Option<&str>, issuer: &str) -> Vec<(&'static str, String)> {
    let state = state
        .filter(|s| !s.is_empty())
        .map(|s| ("state", s.to_owned()));
    state
        .into_iter()
        .chain([("iss", issuer.to_owned())])
        .collect()
}
