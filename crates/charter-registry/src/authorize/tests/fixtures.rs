//! The clients and requests the tables start from.

use charter_core::client::{ApplicationType, AuthMethod, Client, GrantType, RedirectUri};
use charter_core::scope::ScopeSet;

use crate::test_support::record;

/// RFC 7636 Appendix B: the challenge of `dBjftJeZ4CVP-mJ92K9PX8S2aVhXo8UukD3zgZMWoqYjMA`.
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
pub const CB: &str = "https://app.example/cb";

#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// `none` authentication, web, `require_pkce: true`.
    Public,
    /// A public client an operator (wrongly) set `require_pkce: false` on: PKCE stays required.
    PublicNoPkce,
    /// `client_secret_basic`, `require_pkce: true` (the default).
    Confidential,
    /// `client_secret_basic`, `require_pkce: false` (`--no-require-pkce`).
    ConfidentialNoPkce,
    /// `client_credentials` only, but with a redirect URI (registration refuses that; the check still holds).
    CcOnly,
    /// `client_credentials` only, as registration stores it: no redirect URI at all.
    CcOnlyAsRegistered,
    /// A public native app with a loopback redirect (RFC 8252 §7.3).
    Native,
    /// A confidential client with two redirect URIs.
    TwoRedirects,
    /// No client under this `client_id`.
    Unknown,
}

pub fn client(kind: Kind) -> Option<Client> {
    let method = match kind {
        Kind::Public | Kind::PublicNoPkce | Kind::Native => AuthMethod::None,
        _ => AuthMethod::ClientSecretBasic,
    };
    let mut c = record("c1", method, None).client;
    c.metadata.scope = ScopeSet::parse("openid profile email api:read").unwrap();
    match kind {
        Kind::PublicNoPkce | Kind::ConfidentialNoPkce => c.settings.require_pkce = false,
        Kind::CcOnly | Kind::CcOnlyAsRegistered => {
            c.metadata.grant_types = vec![GrantType::ClientCredentials];
            c.metadata.response_types = vec![];
            if matches!(kind, Kind::CcOnlyAsRegistered) {
                c.metadata.redirect_uris = vec![];
            }
        }
        Kind::Native => {
            c.metadata.application_type = ApplicationType::Native;
            c.metadata.redirect_uris = vec![RedirectUri::parse("http://127.0.0.1/cb").unwrap()];
        }
        Kind::TwoRedirects => c
            .metadata
            .redirect_uris
            .push(RedirectUri::parse("https://app.example/other").unwrap()),
        Kind::Unknown => return None,
        Kind::Public | Kind::Confidential => {}
    }
    Some(c)
}

/// Request parameters, in order, repetitions kept.
#[derive(Debug, Clone)]
pub struct P(pub Vec<(String, String)>);

impl P {
    /// Replaces every occurrence of `k` with one `k=v` (appended when absent).
    pub fn set(mut self, k: &str, v: &str) -> Self {
        match self.0.iter().position(|(n, _)| n == k) {
            Some(i) => {
                self.0[i].1 = v.to_owned();
                let mut seen = 0;
                self.0.retain(|(n, _)| {
                    n != k || {
                        seen += 1;
                        seen == 1
                    }
                });
            }
            None => self.0.push((k.to_owned(), v.to_owned())),
        }
        self
    }

    /// Appends one more `k=v`, repeating `k` if it is there.
    pub fn add(mut self, k: &str, v: &str) -> Self {
        self.0.push((k.to_owned(), v.to_owned()));
        self
    }

    pub fn drop(mut self, k: &str) -> Self {
        self.0.retain(|(n, _)| n != k);
        self
    }

    /// No PKCE.
    pub fn no_pkce(self) -> Self {
        self.drop("code_challenge").drop("code_challenge_method")
    }
}

/// An OpenID Connect request as the `openidconnect` crate sends it.
pub fn oidc() -> P {
    P(vec![])
        .set("response_type", "code")
        .set("client_id", "c1")
        .set("redirect_uri", CB)
        .set("scope", "openid profile")
        .set("state", "xyz")
        .set("nonce", "n-0S6_WzA2Mj")
        .set("code_challenge", CHALLENGE)
        .set("code_challenge_method", "S256")
}

/// A plain OAuth request: no `openid`, no `redirect_uri` (the client registered one), no nonce.
pub fn oauth() -> P {
    oidc()
        .set("scope", "api:read")
        .drop("redirect_uri")
        .drop("nonce")
}
