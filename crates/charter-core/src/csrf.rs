//! Cross-site request forgery defences for Charter's own forms (login, consent, account, logout confirmation,
//! device): a token bound to the browser, and an origin check.
//!
//! The browser holds a random value in a cookie; each form carries HMAC-SHA-256(key, that value). An attacker's
//! page can make the browser send the cookie but cannot read it, so it cannot compute the form token. The key is
//! derived from the server pepper, so every node accepts every other node's tokens.
//!
//! `Origin`, when present and not `null`, must be the issuer's origin (browsers send `Origin: null` on
//! same-origin posts under `Referrer-Policy: no-referrer`, and some clients send none), and
//! `Sec-Fetch-Site: cross-site` is refused outright.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::hmac;

use crate::random::TokenGenerator;
use crate::secret::Pepper;

/// The key form tokens are computed with.
#[derive(Clone)]
pub struct CsrfKey(hmac::Key);

impl std::fmt::Debug for CsrfKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfKey(..)")
    }
}

impl CsrfKey {
    /// Derived from the pepper under a fixed label, so it is never the pepper itself.
    pub fn derive(pepper: &Pepper) -> Self {
        let derived = pepper.mac(b"charter csrf key v1");
        Self(hmac::Key::new(hmac::HMAC_SHA256, &derived))
    }

    /// A fresh browser binding, for the cookie.
    pub fn new_binding(rng: &dyn TokenGenerator) -> String {
        rng.token(32)
    }

    /// The form token for a browser binding.
    pub fn token(&self, binding: &str) -> String {
        URL_SAFE_NO_PAD.encode(hmac::sign(&self.0, binding.as_bytes()))
    }

    /// Constant-time check of a submitted form token.
    pub fn verify(&self, binding: &str, token: &str) -> bool {
        match URL_SAFE_NO_PAD.decode(token) {
            Ok(tag) => hmac::verify(&self.0, binding.as_bytes(), &tag).is_ok(),
            Err(_) => false,
        }
    }
}

/// The origin rules for a state-changing request to one of Charter's own forms.
pub fn origin_allowed(
    origin: Option<&str>,
    sec_fetch_site: Option<&str>,
    issuer_origin: &str,
) -> bool {
    if sec_fetch_site.is_some_and(|s| s.eq_ignore_ascii_case("cross-site")) {
        return false;
    }
    match origin {
        None => true,
        Some("null") => true,
        Some(o) => o.eq_ignore_ascii_case(issuer_origin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SystemTokenGenerator;

    #[test]
    fn tokens_are_bound_to_the_browser() {
        let key = CsrfKey::derive(&Pepper::from_bytes(&[1; 32]));
        let rng = SystemTokenGenerator::new();
        let mine = CsrfKey::new_binding(&rng);
        let theirs = CsrfKey::new_binding(&rng);
        let token = key.token(&mine);
        assert!(key.verify(&mine, &token));
        assert!(!key.verify(&theirs, &token));
        assert!(!key.verify(&mine, ""));
        assert!(!key.verify(&mine, "!!!"));
        let other_server = CsrfKey::derive(&Pepper::from_bytes(&[2; 32]));
        assert!(!other_server.verify(&mine, &token));
    }

    #[test]
    fn origin_rules() {
        let me = "https://id.example";
        let cases: &[(Option<&str>, Option<&str>, bool)] = &[
            (None, None, true),
            (Some("null"), None, true),
            (Some("https://id.example"), Some("same-origin"), true),
            (Some("https://evil.example"), None, false),
            (Some("https://id.example.evil"), None, false),
            (None, Some("cross-site"), false),
            (Some("https://id.example"), Some("cross-site"), false),
            (None, Some("same-site"), true),
            (None, Some("none"), true),
        ];
        for (origin, site, ok) in cases {
            assert_eq!(
                origin_allowed(*origin, *site, me),
                *ok,
                "{origin:?} {site:?}"
            );
        }
    }
}
