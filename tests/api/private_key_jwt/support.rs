//! What a `private_key_jwt` client has: a signing key (made with ring: ES256 or Ed25519), assertions signed
//! with it, and a JWKS document served over loopback HTTP from inside the test.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use charter_core::Clock;
use charter_testkit::TestApp;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A client's private key and the `kid` it publishes it under.
pub struct ClientKey {
    pub kid: String,
    pair: Pair,
}

enum Pair {
    Es256(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl ClientKey {
    pub fn es256(kid: &str) -> Self {
        let rng = SystemRandom::new();
        let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
        Self {
            kid: kid.into(),
            pair: Pair::Es256(EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).unwrap()),
        }
    }

    pub fn ed25519(kid: &str) -> Self {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        Self {
            kid: kid.into(),
            pair: Pair::Ed25519(Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap()),
        }
    }

    pub fn alg(&self) -> &'static str {
        match self.pair {
            Pair::Es256(_) => "ES256",
            Pair::Ed25519(_) => "EdDSA",
        }
    }

    /// The public JWK.
    pub fn jwk(&self) -> Value {
        match &self.pair {
            Pair::Es256(k) => {
                let point = k.public_key().as_ref();
                json!({
                    "kty": "EC", "crv": "P-256", "kid": self.kid, "use": "sig", "alg": "ES256",
                    "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
                    "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
                })
            }
            Pair::Ed25519(k) => json!({
                "kty": "OKP", "crv": "Ed25519", "kid": self.kid,
                "x": URL_SAFE_NO_PAD.encode(k.public_key().as_ref()),
            }),
        }
    }

    /// `claims` signed under a header naming this key.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_header(
            &json!({"alg": self.alg(), "kid": self.kid, "typ": "JWT"}),
            claims,
        )
    }

    pub fn sign_with_header(&self, header: &Value, claims: &Value) -> String {
        let input = format!("{}.{}", b64(header), b64(claims));
        let sig = match &self.pair {
            Pair::Es256(k) => k
                .sign(&SystemRandom::new(), input.as_bytes())
                .unwrap()
                .as_ref()
                .to_vec(),
            Pair::Ed25519(k) => k.sign(input.as_bytes()).as_ref().to_vec(),
        };
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }
}

fn b64(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(v.to_string())
}

/// A token with an arbitrary header and signature (for `alg: none` and HMAC attempts).
pub fn forged(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        b64(header),
        b64(claims),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

pub fn jwks(keys: &[&ClientKey]) -> Value {
    json!({ "keys": keys.iter().map(|k| k.jwk()).collect::<Vec<_>>() })
}

/// The claims of a good assertion from `client` to `app`, valid for a minute from the app's clock.
pub fn claims(app: &TestApp, client: &str) -> Value {
    let now = app.clock.now().unix();
    json!({
        "iss": client,
        "sub": client,
        "aud": app.issuer.as_str(),
        "iat": now,
        "exp": now + 60,
        "jti": uuid_like(),
    })
}

/// A fresh jti.
pub fn uuid_like() -> String {
    let mut bytes = [0u8; 16];
    ring::rand::SecureRandom::fill(&SystemRandom::new(), &mut bytes).unwrap();
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A JWKS endpoint on a loopback port: answers every request with the current answer, and counts requests.
pub struct JwksServer {
    pub url: String,
    answer: Arc<Mutex<Vec<u8>>>,
    hits: Arc<AtomicUsize>,
}

impl JwksServer {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
        let answer = Arc::new(Mutex::new(Vec::new()));
        let hits = Arc::new(AtomicUsize::new(0));
        let (a, h) = (answer.clone(), hits.clone());
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let answer = a.lock().unwrap().clone();
                h.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 1024];
                    while let Ok(n) = socket.read(&mut chunk).await {
                        buf.extend_from_slice(&chunk[..n]);
                        if n == 0 || buf.windows(4).any(|w| w == b"\r\n\r\n") {
                            break;
                        }
                    }
                    let _ = socket.write_all(&answer).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Self { url, answer, hits }
    }

    /// Serves `body` as a 200 JSON answer with `Cache-Control: max-age`.
    pub fn serve(&self, body: &Value, max_age: u64) {
        let body = body.to_string();
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nCache-Control: max-age={max_age}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        *self.answer.lock().unwrap() = [head.into_bytes(), body.into_bytes()].concat();
    }

    /// Serves a raw HTTP answer.
    pub fn serve_raw(&self, raw: &[u8]) {
        *self.answer.lock().unwrap() = raw.to_vec();
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}
