//! What the tests that drive a real relying-party library (the `openidconnect` crate) share: the library's
//! HTTP carried by reqwest, and a browser that signs `alice` in and allows.

use charter_testkit::TestApp;
use reqwest::Client;

pub const PW: &str = "correct horse battery staple";
pub const REDIRECT: &str = "http://127.0.0.1:9/callback";

/// The RP library's HTTP, carried by reqwest.
pub async fn send(
    client: Client,
    request: openidconnect::HttpRequest,
) -> Result<openidconnect::HttpResponse, reqwest::Error> {
    let (parts, body) = request.into_parts();
    let mut builder = client
        .request(parts.method, parts.uri.to_string())
        .body(body);
    for (name, value) in &parts.headers {
        builder = builder.header(name, value);
    }
    let res = builder.send().await?;
    let mut out = http::Response::builder().status(res.status());
    for (name, value) in res.headers() {
        out = out.header(name, value);
    }
    let body = res.bytes().await?.to_vec();
    Ok(out.body(body).unwrap())
}

/// Signs `alice` in from `start` (an authorization URL) in a fresh browser and allows; returns where Charter
/// finally redirects.
pub async fn browse(app: &TestApp, start: &str) -> String {
    let b = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    let res = b.get(start).send().await.unwrap();
    let res = app.walk(&b, res, "alice", PW, "allow").await;
    res.headers()["location"].to_str().unwrap().to_owned()
}
