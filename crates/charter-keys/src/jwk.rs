//! Public keys as JWKs (RFC 7517) and their thumbprints (RFC 7638), which serve as `kid`: a `kid` then names
//! the key material itself, and the same key always gets the same id on every node.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::digest;
use serde::{Deserialize, Serialize};

use crate::alg::SigningAlg;

/// A public signing key as published in the JWKS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    #[serde(rename = "use")]
    pub use_: String,
    pub alg: String,
    pub kid: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub crv: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub n: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub e: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub x: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub y: Option<String>,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Strips leading zero bytes (JWK integers are unsigned big-endian without them, RFC 7518 §6.3.1).
fn unsigned(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| *b != 0)
        .unwrap_or(bytes.len().saturating_sub(1));
    &bytes[start..]
}

impl Jwk {
    /// An RSA public key from its modulus and exponent (big-endian).
    pub fn rsa(alg: SigningAlg, n: &[u8], e: &[u8]) -> Self {
        Self::finish(Self {
            kty: "RSA".into(),
            use_: "sig".into(),
            alg: alg.as_str().into(),
            kid: String::new(),
            crv: None,
            n: Some(b64(unsigned(n))),
            e: Some(b64(unsigned(e))),
            x: None,
            y: None,
        })
    }

    /// A P-256 public key from its uncompressed point (0x04 || x || y).
    pub fn p256(point: &[u8]) -> Option<Self> {
        if point.len() != 65 || point[0] != 4 {
            return None;
        }
        let (x, y) = point[1..].split_at(32);
        Some(Self::finish(Self {
            kty: "EC".into(),
            use_: "sig".into(),
            alg: SigningAlg::ES256.as_str().into(),
            kid: String::new(),
            crv: Some("P-256".into()),
            n: None,
            e: None,
            x: Some(b64(x)),
            y: Some(b64(y)),
        }))
    }

    /// An Ed25519 public key (RFC 8037).
    pub fn ed25519(public: &[u8]) -> Self {
        Self::finish(Self {
            kty: "OKP".into(),
            use_: "sig".into(),
            alg: SigningAlg::EdDSA.as_str().into(),
            kid: String::new(),
            crv: Some("Ed25519".into()),
            n: None,
            e: None,
            x: Some(b64(public)),
            y: None,
        })
    }

    fn finish(mut jwk: Self) -> Self {
        jwk.kid = jwk.thumbprint();
        jwk
    }

    /// RFC 7638: SHA-256 over the required members, in lexicographic order, with no whitespace.
    pub fn thumbprint(&self) -> String {
        let s = |v: &Option<String>| {
            serde_json::to_string(v.as_deref().unwrap_or("")).unwrap_or_default()
        };
        let kty = serde_json::to_string(&self.kty).unwrap_or_default();
        let canonical = match self.kty.as_str() {
            "RSA" => format!(r#"{{"e":{},"kty":{kty},"n":{}}}"#, s(&self.e), s(&self.n)),
            "EC" => format!(
                r#"{{"crv":{},"kty":{kty},"x":{},"y":{}}}"#,
                s(&self.crv),
                s(&self.x),
                s(&self.y)
            ),
            _ => format!(
                r#"{{"crv":{},"kty":{kty},"x":{}}}"#,
                s(&self.crv),
                s(&self.x)
            ),
        };
        b64(digest::digest(&digest::SHA256, canonical.as_bytes()).as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of RFC 7638 §3.1.
    #[test]
    fn rfc7638_example() {
        let n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        let jwk = Jwk {
            kty: "RSA".into(),
            use_: "sig".into(),
            alg: "RS256".into(),
            kid: String::new(),
            crv: None,
            n: Some(n.into()),
            e: Some("AQAB".into()),
            x: None,
            y: None,
        };
        assert_eq!(
            jwk.thumbprint(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn leading_zeros_are_stripped() {
        let a = Jwk::rsa(SigningAlg::RS256, &[0, 0, 1, 2], &[1, 0, 1]);
        let b = Jwk::rsa(SigningAlg::RS256, &[1, 2], &[1, 0, 1]);
        assert_eq!(a, b);
        assert_eq!(a.e.as_deref(), Some("AQAB"));
    }

    #[test]
    fn bad_points_are_refused() {
        assert!(Jwk::p256(&[4; 64]).is_none());
        assert!(Jwk::p256(&[2; 65]).is_none());
    }
}
