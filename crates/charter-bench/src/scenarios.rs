//! The workers of Charter's scenarios and the set-up they need: signed-in browsers, clients, tokens.

use std::sync::Arc;

use anyhow::{Context, anyhow};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::load::{Conn, Step, Worker};

/// The PKCE pair every flow uses (RFC 7636 Appendix B).
pub const PKCE_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const PKCE_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// Where the measured relying party's codes are sent (never contacted: the harness reads `Location`).
pub const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";
pub const PASSWORD: &str = "correct horse battery staple";

/// A registered client and its secret.
#[derive(Debug, Clone)]
pub struct ClientCreds {
    pub id: String,
    pub secret: String,
}

impl ClientCreds {
    /// `Authorization: Basic ...` (RFC 6749 §2.3.1; Charter's ids and secrets need no form-encoding).
    pub fn basic(&self) -> String {
        format!(
            "Basic {}",
            STANDARD.encode(format!("{}:{}", self.id, self.secret))
        )
    }
}

/// The `value` of the hidden input `name` in a page.
pub fn hidden_input(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    let tag = &html[start..end];
    let v = tag.find("value=\"")? + "value=\"".len();
    let len = tag[v..].find('"')?;
    Some(tag[v..v + len].replace("&amp;", "&"))
}

/// A browser's cookie jar, reduced to one `Cookie` header.
#[derive(Debug, Clone, Default)]
pub struct Jar(Vec<(String, String)>);

impl Jar {
    pub fn add(&mut self, cookies: Vec<(String, String)>) {
        for (k, v) in cookies {
            self.0.retain(|(n, _)| *n != k);
            if !v.is_empty() {
                self.0.push((k, v));
            }
        }
    }

    pub fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The login page's CSRF token, with the cookie it is bound to.
pub async fn login_form(conn: &mut Conn) -> anyhow::Result<(Jar, String)> {
    let page = conn.get("/login", &[]).await?.expect(200, "GET /login")?;
    let csrf = hidden_input(&String::from_utf8_lossy(&page.body), "csrf")
        .ok_or_else(|| anyhow!("no csrf input on /login"))?;
    let mut jar = Jar::default();
    jar.add(page.cookies());
    Ok((jar, csrf))
}

/// Signs in and returns the browser's cookies (session included).
pub async fn sign_in(conn: &mut Conn, username: &str) -> anyhow::Result<Jar> {
    let (mut jar, csrf) = login_form(conn).await?;
    let answer = conn
        .post_form(
            "/login",
            &[("cookie", &jar.header())],
            &[
                ("username", username),
                ("password", PASSWORD),
                ("csrf", &csrf),
            ],
        )
        .await?
        .expect(303, "POST /login")?;
    jar.add(answer.cookies());
    Ok(jar)
}

/// The authorization request of the measured relying party.
pub fn authorize_path(client_id: &str, scope: &str) -> String {
    authorize_path_with(client_id, scope, &[])
}

/// The same, with more parameters (`prompt=consent`, ...).
pub fn authorize_path_with(client_id: &str, scope: &str, extra: &[(&str, &str)]) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(extra)
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT_URI)
        .append_pair("scope", scope)
        .append_pair("state", "bench-state")
        .append_pair("nonce", "bench-nonce")
        .append_pair("code_challenge", PKCE_CHALLENGE)
        .append_pair("code_challenge_method", "S256")
        .finish();
    format!("/authorize?{query}")
}

/// A signed-in browser's authorize request answered with a code (consent is remembered or skipped).
pub async fn code(conn: &mut Conn, path: &str, cookie: &str) -> anyhow::Result<String> {
    let answer = conn.get(path, &[("cookie", cookie)]).await?;
    if !matches!(answer.status.as_u16(), 302 | 303) {
        return Err(answer.unexpected("authorize", "a redirect").into());
    }
    code_in(answer.header("location").context("a Location")?)
}

/// The code in the relying party's redirect.
pub fn code_in(location: &str) -> anyhow::Result<String> {
    let url = url::Url::parse(location)?;
    url.query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| anyhow!("no code in {location}"))
}

/// Redeems a code; returns the token response.
pub async fn redeem(conn: &mut Conn, basic: &str, code: &str) -> anyhow::Result<serde_json::Value> {
    conn.post_form(
        "/token",
        &[("authorization", basic)],
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", PKCE_VERIFIER),
        ],
    )
    .await?
    .expect(200, "code exchange")?
    .json()
}

pub fn field(v: &serde_json::Value, name: &str) -> anyhow::Result<String> {
    v[name]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow!("no {name} in the token response"))
}

/// authorize -> code -> token -> userinfo, one operation.
#[derive(Debug, Clone)]
pub struct CodeFlow {
    pub cookie: String,
    pub basic: String,
    pub path: String,
}

impl Worker for CodeFlow {
    fn step<'a>(&'a mut self, conn: &'a mut Conn) -> Step<'a> {
        Box::pin(async move {
            let code = code(conn, &self.path, &self.cookie).await?;
            let tokens = redeem(conn, &self.basic, &code).await?;
            let bearer = format!("Bearer {}", field(&tokens, "access_token")?);
            conn.get("/userinfo", &[("authorization", &bearer)])
                .await?
                .expect(200, "userinfo")?;
            Ok(())
        })
    }
}

/// A signed-in browser's first tokens (with a refresh token when `scope` has offline_access).
pub async fn first_tokens(
    conn: &mut Conn,
    rp: &ClientCreds,
    username: &str,
    scope: &str,
) -> anyhow::Result<serde_json::Value> {
    let jar = sign_in(conn, username).await?;
    let code = code(conn, &authorize_path(&rp.id, scope), &jar.header()).await?;
    redeem(conn, &rp.basic(), &code).await
}

/// Refresh-token rotation: each step spends the current token and keeps the new one.
#[derive(Debug, Clone)]
pub struct Refresh {
    pub basic: String,
    pub token: String,
}

impl Worker for Refresh {
    fn step<'a>(&'a mut self, conn: &'a mut Conn) -> Step<'a> {
        Box::pin(async move {
            let answer = conn
                .post_form(
                    "/token",
                    &[("authorization", &self.basic)],
                    &[
                        ("grant_type", "refresh_token"),
                        ("refresh_token", &self.token),
                    ],
                )
                .await?
                .expect(200, "refresh")?;
            self.token = field(&answer.json()?, "refresh_token")?;
            Ok(())
        })
    }
}

/// One sign-in (Argon2id verification) per step, each starting a new session.
#[derive(Debug, Clone)]
pub struct Login {
    pub username: String,
    pub jar: Jar,
    pub csrf: String,
}

impl Worker for Login {
    fn step<'a>(&'a mut self, conn: &'a mut Conn) -> Step<'a> {
        Box::pin(async move {
            let answer = conn
                .post_form(
                    "/login",
                    &[("cookie", &self.jar.header())],
                    &[
                        ("username", &self.username),
                        ("password", PASSWORD),
                        ("csrf", &self.csrf),
                    ],
                )
                .await?;
            // Beyond the hashing queue Charter answers 429: that is load shedding, counted as an error here.
            answer.expect(303, "POST /login")?;
            Ok(())
        })
    }
}

/// client_credentials, cycling through many clients (each worker starts at its own offset).
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    pub basics: Arc<Vec<String>>,
    pub next: usize,
    pub stride: usize,
}

impl ClientCredentials {
    pub fn workers(clients: &[ClientCreds], n: usize) -> Vec<Box<dyn Worker>> {
        let basics: Arc<Vec<String>> = Arc::new(clients.iter().map(ClientCreds::basic).collect());
        (0..n)
            .map(|i| {
                Box::new(ClientCredentials {
                    basics: basics.clone(),
                    next: i % basics.len().max(1),
                    stride: n,
                }) as Box<dyn Worker>
            })
            .collect()
    }
}

impl Worker for ClientCredentials {
    fn step<'a>(&'a mut self, conn: &'a mut Conn) -> Step<'a> {
        Box::pin(async move {
            let basic = self
                .basics
                .get(self.next)
                .ok_or_else(|| anyhow!("no clients"))?;
            self.next = (self.next + self.stride) % self.basics.len();
            conn.post_form(
                "/token",
                &[("authorization", basic)],
                &[("grant_type", "client_credentials")],
            )
            .await?
            .expect(200, "client_credentials")?;
            Ok(())
        })
    }
}
