//! Redirect URI matching (RFC 6749 §3.1.2.3, RFC 9700 §4.1.3, RFC 8252 §7.3).
//!
//! The requested URI must equal a registered one character for character: no normalisation, no prefix match,
//! no wildcard. Comparison goes through oxide-auth's [`ExactUrl`], whose documented semantics are exactly that
//! (see `docs/decisions/0001-oxide-auth.md`). The only exception: a native app that registered a loopback IP
//! redirect (`http://127.0.0.1/cb`, `http://[::1]/cb`, and `localhost`) may use any port, because the operating
//! system assigns it an ephemeral one at run time.

use charter_core::client::{ApplicationType, Client, RedirectUri};
use oxide_auth::primitives::registrar::ExactUrl;

/// Is `host` one of the loopback hosts Charter treats as local development or native-app loopback?
pub fn is_loopback_host(host: &str) -> bool {
    matches!(host, "127.0.0.1" | "[::1]" | "::1" | "localhost")
}

/// Why an authorization request's redirect URI is refused. Both are shown as an error page, never a redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectMismatch {
    /// No `redirect_uri` was sent and the client registered several (or none).
    Missing,
    /// The `redirect_uri` matches none of the registered ones.
    NotRegistered,
}

/// Picks the redirect URI for an authorization request. `requested` is the `redirect_uri` parameter, if sent.
/// The returned value is what the request sent (or the single registered one), to be used byte for byte in the
/// redirect and compared again at the token endpoint.
pub fn select_redirect_uri(
    client: &Client,
    requested: Option<&str>,
) -> Result<RedirectUri, RedirectMismatch> {
    let registered = &client.metadata.redirect_uris;
    let Some(requested) = requested else {
        return match registered.as_slice() {
            [only] => Ok(only.clone()),
            _ => Err(RedirectMismatch::Missing),
        };
    };
    let native = client.metadata.application_type == ApplicationType::Native;
    let matched = registered
        .iter()
        .any(|r| exact_match(r, requested) || (native && loopback_any_port_match(r, requested)));
    if !matched {
        return Err(RedirectMismatch::NotRegistered);
    }
    RedirectUri::parse(requested).map_err(|_| RedirectMismatch::NotRegistered)
}

fn exact_match(registered: &RedirectUri, requested: &str) -> bool {
    match (
        ExactUrl::new(registered.as_str().to_owned()),
        ExactUrl::new(requested.to_owned()),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// RFC 8252 §7.3: equal except for the port, for an `http` loopback registration.
fn loopback_any_port_match(registered: &RedirectUri, requested: &str) -> bool {
    let url = registered.url();
    if url.scheme() != "http" || !url.host_str().is_some_and(is_loopback_host) {
        return false;
    }
    match (strip_port(registered.as_str()), strip_port(requested)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// `http://127.0.0.1:5000/cb?x` -> `http://127.0.0.1/cb?x`, on the raw string (no normalisation). None when
/// the string has no `scheme://authority`.
fn strip_port(raw: &str) -> Option<String> {
    let (scheme, rest) = raw.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let host = if let Some(close) = authority.find(']') {
        &authority[..=close]
    } else {
        authority.split(':').next().unwrap_or(authority)
    };
    Some(format!("{scheme}://{host}{tail}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use charter_core::client::{AuthMethod, ClientMetadata, OperatorSettings, Registration};
    use charter_core::{Timestamp, ids::ClientId, scope::ScopeSet};

    fn client(app: ApplicationType, uris: &[&str]) -> Client {
        Client {
            id: ClientId::parse("c1").unwrap(),
            metadata: ClientMetadata {
                client_name: "App".into(),
                redirect_uris: uris
                    .iter()
                    .map(|u| RedirectUri::parse(u).unwrap())
                    .collect(),
                post_logout_redirect_uris: vec![],
                grant_types: vec![charter_core::client::GrantType::AuthorizationCode],
                response_types: vec![charter_core::client::ResponseType::Code],
                token_endpoint_auth_method: AuthMethod::None,
                scope: ScopeSet::parse("openid").unwrap(),
                application_type: app,
                contacts: vec![],
                logo_uri: None,
                client_uri: None,
                policy_uri: None,
                tos_uri: None,
                jwks_uri: None,
                jwks: None,
                id_token_signed_response_alg: None,
                backchannel_logout_uri: None,
                backchannel_logout_session_required: false,
            },
            settings: OperatorSettings::default(),
            registration: Registration::Operator,
            created_at: Timestamp::from_unix(0),
            updated_at: Timestamp::from_unix(0),
        }
    }

    /// SPEC-CHECKLIST A1, A2, A4.
    #[test]
    fn matching_table() {
        use ApplicationType::{Native, Web};
        let reg = "https://app.example/cb";
        type Case<'a> = (
            ApplicationType,
            &'a [&'a str],
            Option<&'a str>,
            Result<&'a str, RedirectMismatch>,
        );
        let cases: &[Case<'_>] = &[
            (Web, &[reg], Some(reg), Ok(reg)),
            (Web, &[reg], None, Ok(reg)),
            (
                Web,
                &[reg],
                Some("https://app.example/cb/"),
                Err(RedirectMismatch::NotRegistered),
            ),
            (
                Web,
                &[reg],
                Some("https://app.example/cb?x=1"),
                Err(RedirectMismatch::NotRegistered),
            ),
            (
                Web,
                &[reg],
                Some("https://app.example/cb#f"),
                Err(RedirectMismatch::NotRegistered),
            ),
            (
                Web,
                &[reg],
                Some("https://APP.example/cb"),
                Err(RedirectMismatch::NotRegistered),
            ),
            (
                Web,
                &[reg],
                Some("https://app.example:443/cb"),
                Err(RedirectMismatch::NotRegistered),
            ),
            (
                Web,
                &[reg],
                Some("https://app.example.evil/cb"),
                Err(RedirectMismatch::NotRegistered),
            ),
            (
                Web,
                &[reg],
                Some("https://app.example/%63b"),
                Err(RedirectMismatch::NotRegistered),
            ),
            (
                Web,
                &[reg],
                Some("https://app.example/cbx"),
                Err(RedirectMismatch::NotRegistered),
            ),
            (
                Web,
                &[reg, "https://b.example/cb"],
                None,
                Err(RedirectMismatch::Missing),
            ),
            (
                Web,
                &[reg, "https://b.example/cb"],
                Some("https://b.example/cb"),
                Ok("https://b.example/cb"),
            ),
            (Web, &[], None, Err(RedirectMismatch::Missing)),
            // Loopback: any port for native apps only, path and query still exact.
            (
                Native,
                &["http://127.0.0.1/cb"],
                Some("http://127.0.0.1:53111/cb"),
                Ok("http://127.0.0.1:53111/cb"),
            ),
            (
                Native,
                &["http://127.0.0.1:8080/cb"],
                Some("http://127.0.0.1:9/cb"),
                Ok("http://127.0.0.1:9/cb"),
            ),
            (
                Native,
                &["http://[::1]/cb"],
                Some("http://[::1]:6000/cb"),
                Ok("http://[::1]:6000/cb"),
            ),
            (
                Native,
                &["http://localhost/cb"],
                Some("http://localhost:6000/cb"),
                Ok("http://localhost:6000/cb"),
            ),
            (
                Native,
                &["http://127.0.0.1/cb"],
                Some("http://127.0.0.1:5/cb2"),
                Err(RedirectMismatch::NotRegistered),
            ),
            (
                Native,
                &["http://127.0.0.1/cb"],
                Some("http://127.0.0.2:5/cb"),
                Err(RedirectMismatch::NotRegistered),
            ),
            (
                Native,
                &["http://127.0.0.1/cb"],
                Some("https://127.0.0.1:5/cb"),
                Err(RedirectMismatch::NotRegistered),
            ),
            (
                Web,
                &["http://127.0.0.1/cb"],
                Some("http://127.0.0.1:5000/cb"),
                Err(RedirectMismatch::NotRegistered),
            ),
            (
                Native,
                &["com.example.app:/cb"],
                Some("com.example.app:/cb"),
                Ok("com.example.app:/cb"),
            ),
        ];
        for (app, uris, requested, expected) in cases {
            let got = select_redirect_uri(&client(*app, uris), *requested);
            let got = got.as_ref().map(|r| r.as_str()).map_err(|e| *e);
            assert_eq!(got, *expected, "{app:?} {uris:?} {requested:?}");
        }
    }

    #[test]
    fn port_stripping() {
        assert_eq!(
            strip_port("http://127.0.0.1:80/a?b").as_deref(),
            Some("http://127.0.0.1/a?b")
        );
        assert_eq!(
            strip_port("http://[::1]:80/a").as_deref(),
            Some("http://[::1]/a")
        );
        assert_eq!(
            strip_port("http://localhost").as_deref(),
            Some("http://localhost")
        );
        assert_eq!(strip_port("urn:x"), None);
    }
}
