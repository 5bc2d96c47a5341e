//! The browser side of the crash test: code flows (authorize, sign-in, consent, code exchange) and refresh
//! rotations, recording what the server acknowledged.

use super::*;

const CB: &str = "https://app.example/cb";
const PASSWORD: &str = "correct horse battery staple";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// The value of the hidden input `name` in a page.
fn hidden(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    let tag = &html[start..end];
    let v = tag.find("value=\"")? + "value=\"".len();
    let len = tag[v..].find('"')?;
    Some(tag[v..v + len].replace("&amp;", "&").replace("&#x2f;", "/"))
}

fn location(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// One browser (cookie jar) through authorize, sign-in and consent to a code, then the code exchange.
/// Returns the refresh token of an acknowledged (200) token response.
async fn code_flow(base: &str, client_id: &str, secret: &str) -> Option<String> {
    let b = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .ok()?;
    let mut url = reqwest::Url::parse(&format!("{base}/authorize")).ok()?;
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", CB)
        .append_pair("scope", "openid offline_access")
        .append_pair("prompt", "consent")
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256");
    let mut res = b.get(url.as_str()).send().await.ok()?;
    for _ in 0..8 {
        let to = location(&res)?;
        if to.starts_with(CB) {
            let code = reqwest::Url::parse(&to)
                .ok()?
                .query_pairs()
                .find(|(k, _)| k == "code")?
                .1
                .into_owned();
            let res = b
                .post(format!("{base}/token"))
                .basic_auth(client_id, Some(secret))
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                    ("redirect_uri", CB),
                    ("code_verifier", VERIFIER),
                ])
                .send()
                .await
                .ok()?;
            if res.status() != 200 {
                return None;
            }
            let body: Value = res.json().await.ok()?;
            return body["refresh_token"].as_str().map(str::to_owned);
        }
        let page = b.get(format!("{base}{to}")).send().await.ok()?;
        let page = page.text().await.ok()?;
        res = if to.starts_with("/login") {
            let mut form = vec![
                ("username", "crash".to_owned()),
                ("password", PASSWORD.to_owned()),
                ("csrf", hidden(&page, "csrf")?),
            ];
            if let Some(r) = hidden(&page, "return_to") {
                form.push(("return_to", r));
            }
            b.post(format!("{base}/login"))
                .form(&form)
                .send()
                .await
                .ok()?
        } else if to.starts_with("/consent") {
            let form = [
                ("csrf", hidden(&page, "csrf")?),
                ("request_id", hidden(&page, "request_id")?),
                ("decision", "allow".to_owned()),
            ];
            b.post(format!("{base}/consent"))
                .form(&form)
                .send()
                .await
                .ok()?
        } else {
            b.get(format!("{base}{to}")).send().await.ok()?
        };
    }
    None
}

/// A refresh (RFC 6749 §6): Some(new refresh token) when acknowledged, None when the request did not complete.
pub(super) async fn refresh(
    http: &reqwest::Client,
    base: &str,
    id: &str,
    secret: &str,
    token: &str,
) -> Option<(u16, Option<String>)> {
    let res = http
        .post(format!("{base}/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", token)])
        .send()
        .await
        .ok()?;
    let status = res.status().as_u16();
    let body: Value = res.json().await.ok()?;
    Some((status, body["refresh_token"].as_str().map(str::to_owned)))
}

/// What one browser-and-client worker had acknowledged when the server died.
#[derive(Debug, Default)]
pub(super) struct FlowLog {
    pub(super) client_id: String,
    pub(super) secret: String,
    /// Flows completed (code exchanged, 200).
    pub(super) flows: usize,
    /// The last refresh token received in a 200, and whether a request using it was cut off by the kill (then
    /// the rotation may or may not have committed, and the token may legitimately be spent).
    pub(super) last_refresh: Option<String>,
    pub(super) cut_off: bool,
}

pub(super) async fn flow_worker(
    base: String,
    client_id: String,
    secret: String,
    stop: Arc<AtomicBool>,
    progress: Arc<AtomicUsize>,
) -> FlowLog {
    let http = reqwest::Client::new();
    let mut log = FlowLog {
        client_id: client_id.clone(),
        secret: secret.clone(),
        ..FlowLog::default()
    };
    while !stop.load(Ordering::Relaxed) {
        let Some(mut token) = code_flow(&base, &client_id, &secret).await else {
            break;
        };
        log.flows += 1;
        progress.fetch_add(1, Ordering::Relaxed);
        log.last_refresh = Some(token.clone());
        for _ in 0..3 {
            match refresh(&http, &base, &client_id, &secret, &token).await {
                Some((200, Some(next))) => {
                    token = next;
                    log.last_refresh = Some(token.clone());
                }
                Some((status, _)) => panic!("a refresh before the kill failed: {status}"),
                None => {
                    log.cut_off = true;
                    return log;
                }
            }
        }
    }
    log
}

pub(super) fn create_web_client(env_vars: &HashMap<String, String>, n: usize) -> (String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_charter"))
        .args([
            "clients",
            "create",
            "--json",
            "--name",
            &format!("web {n}"),
            "--redirect-uri",
            CB,
            "--grant-type",
            "authorization_code",
            "--grant-type",
            "refresh_token",
            "--scope",
            "openid offline_access",
        ])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env_vars)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let c: Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        c["client_id"].as_str().unwrap().to_owned(),
        c["client_secret"].as_str().unwrap().to_owned(),
    )
}

pub(super) fn create_user(env: &Env) -> String {
    let out = charter(
        env,
        &[
            "users",
            "create",
            "--json",
            "--username",
            "crash",
            "--password-stdin",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let u: Value = serde_json::from_slice(&out.stdout).unwrap();
    u["sub"].as_str().unwrap().to_owned()
}
