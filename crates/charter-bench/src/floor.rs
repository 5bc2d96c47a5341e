//! The floors every figure is compared with, measured in the same run on the same machine: a minimal
//! actix-web server that (a) answers a precomputed body — the HTTP ceiling — and (b) signs one ES256 JWT per
//! request with ring — the signing ceiling. It runs as a child process (`charter-bench floor`), like Charter,
//! so both are measured the same way.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::anyhow;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};

/// A body the size of a discovery document.
fn static_body() -> String {
    let filler: Vec<String> = (0..40)
        .map(|i| format!("\"field_{i:02}\": \"https://127.0.0.1:8080/some/path/{i}\""))
        .collect();
    format!("{{{}}}", filler.join(","))
}

struct Signer {
    key: EcdsaKeyPair,
    rng: SystemRandom,
    header: String,
}

impl Signer {
    fn new() -> anyhow::Result<Self> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| anyhow!("generate a P-256 key"))?;
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .map_err(|_| anyhow!("load the P-256 key"))?;
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"ES256","typ":"at+jwt","kid":"floor"}"#);
        Ok(Self { key, rng, header })
    }

    /// A token shaped like Charter's access tokens, signed.
    fn token(&self) -> Option<String> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).ok()?.as_secs();
        let mut jti = [0u8; 16];
        self.rng.fill(&mut jti).ok()?;
        let claims = serde_json::json!({
            "iss": "http://127.0.0.1:8080",
            "sub": "floor-client",
            "aud": "http://127.0.0.1:8080",
            "client_id": "floor-client",
            "iat": now,
            "exp": now + 600,
            "jti": URL_SAFE_NO_PAD.encode(jti),
        });
        let input = format!(
            "{}.{}",
            self.header,
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = self.key.sign(&self.rng, input.as_bytes()).ok()?;
        Some(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref())))
    }
}

async fn precomputed(body: web::Data<String>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(body.get_ref().clone())
}

async fn sign(signer: web::Data<Arc<Signer>>) -> HttpResponse {
    match signer.token() {
        Some(t) => HttpResponse::Ok()
            .content_type("application/json")
            .insert_header(("Cache-Control", "no-store"))
            .body(
                serde_json::json!({"access_token": t, "token_type": "Bearer", "expires_in": 600})
                    .to_string(),
            ),
        None => HttpResponse::InternalServerError().finish(),
    }
}

/// Serves the floor on 127.0.0.1 (an ephemeral port) and prints `listening <addr>` on standard output.
pub fn serve() -> anyhow::Result<()> {
    let signer = Arc::new(Signer::new()?);
    let body = static_body();
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(move || {
            App::new()
                .app_data(web::Data::new(body.clone()))
                .app_data(web::Data::new(signer.clone()))
                .route("/", web::get().to(precomputed))
                .route("/sign", web::post().to(sign))
                .route("/readyz", web::get().to(HttpResponse::Ok))
        })
        .bind(("127.0.0.1", 0))?;
        for addr in server.addrs() {
            println!("listening {addr}");
        }
        server.run().await
    })?;
    Ok(())
}
