//! PKCE at the token endpoint (RFC 7636 §4.1, §4.6): does the `code_verifier` hash to the code's S256
//! challenge?
//!
//! The comparison goes through oxide-auth's `Pkce::required()` (ADR 0001), which hashes with SHA-256 and
//! compares in constant time, with `plain` off. Charter adds what oxide-auth leaves out: the verifier's syntax
//! (43 to 128 unreserved characters, RFC 7636 §4.1) is checked first, so a short, guessable verifier never
//! matches. The authorize side refuses `plain` and absent methods before a challenge is stored, so every stored
//! challenge is an S256 one.

use oxide_auth::code_grant::extensions::Pkce;

/// RFC 7636 §4.1: `code-verifier = 43*128unreserved`.
pub const VERIFIER_MIN_LEN: usize = 43;
pub const VERIFIER_MAX_LEN: usize = 128;

/// `unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"` (RFC 3986 §2.3).
fn is_valid_verifier(verifier: &str) -> bool {
    (VERIFIER_MIN_LEN..=VERIFIER_MAX_LEN).contains(&verifier.len())
        && verifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// True when `verifier` is a well-formed code verifier and `BASE64URL(SHA256(verifier)) == challenge`.
pub fn verify_s256(challenge: &str, verifier: &str) -> bool {
    if !is_valid_verifier(verifier) {
        return false;
    }
    let pkce = Pkce::required();
    let Ok(stored) = pkce.challenge(Some("S256".into()), Some(challenge.into())) else {
        return false;
    };
    pkce.verify(stored, Some(verifier.into())).is_ok()
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use ring::digest;

    use super::*;

    /// RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn s256(verifier: &str) -> String {
        URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, verifier.as_bytes()))
    }

    #[test]
    fn rfc7636_appendix_b() {
        assert_eq!(s256(VERIFIER), CHALLENGE);
        assert!(verify_s256(CHALLENGE, VERIFIER));
    }

    #[test]
    fn table() {
        let long = "a".repeat(128);
        let too_long = "a".repeat(129);
        let short = "a".repeat(42);
        let min = "a".repeat(43);
        let with_all_unreserved = format!("{}-._~", "Az09".repeat(10));
        let cases: &[(&str, String, String, bool)] = &[
            ("appendix b", CHALLENGE.into(), VERIFIER.into(), true),
            (
                "one character off",
                CHALLENGE.into(),
                VERIFIER.replace('d', "e"),
                false,
            ),
            (
                "verifier is the challenge (plain)",
                CHALLENGE.into(),
                CHALLENGE.into(),
                false,
            ),
            ("empty verifier", CHALLENGE.into(), String::new(), false),
            ("empty challenge", String::new(), VERIFIER.into(), false),
            (
                "challenge with padding",
                format!("{CHALLENGE}="),
                VERIFIER.into(),
                false,
            ),
            ("42 characters", s256(&short), short.clone(), false),
            ("43 characters", s256(&min), min.clone(), true),
            ("128 characters", s256(&long), long.clone(), true),
            ("129 characters", s256(&too_long), too_long.clone(), false),
            (
                "all unreserved kinds",
                s256(&with_all_unreserved),
                with_all_unreserved.clone(),
                true,
            ),
            ("space", s256(&format!("{min} ")), format!("{min} "), false),
            ("plus", s256(&format!("{min}+")), format!("{min}+"), false),
            (
                "percent",
                s256(&format!("{min}%")),
                format!("{min}%"),
                false,
            ),
            (
                "non-ascii",
                s256(&format!("{min}é")),
                format!("{min}é"),
                false,
            ),
        ];
        for (name, challenge, verifier, want) in cases {
            assert_eq!(verify_s256(challenge, verifier), *want, "{name}");
        }
    }
}
