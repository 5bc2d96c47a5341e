//! Helpers for driving Charter's pages like a browser: users, form tokens, sign-in.

use charter_core::accounts::{NewAccount, create_account};
use charter_core::password::PasswordPolicy;
use charter_core::random::SystemTokenGenerator;
use charter_core::user::{Profile, User};
use secrecy::SecretString;

use crate::TestApp;

/// The value of the hidden input `name` in a page.
pub fn hidden_input(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\"");
    let at = html.find(&marker)?;
    // The input's tag: from its `<` to its `>`.
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    let tag = &html[start..end];
    let v = tag.find("value=\"")? + "value=\"".len();
    let len = tag[v..].find('"')?;
    Some(
        tag[v..v + len]
            .replace("&amp;", "&")
            .replace("&#x2f;", "/")
            .replace("&#47;", "/"),
    )
}

impl TestApp {
    /// Creates a user directly in the store.
    pub async fn create_user(&self, username: &str, password: &str) -> User {
        let store = self.key_manager.store.clone();
        create_account(
            store.as_ref(),
            &SystemTokenGenerator::new(),
            self.clock.as_ref(),
            &PasswordPolicy::default(),
            NewAccount {
                username: username.to_owned(),
                password: SecretString::from(password.to_owned()),
                profile: Profile {
                    name: Some(format!("{username} Example")),
                    email: Some(format!("{username}@example.com")),
                    ..Profile::default()
                },
            },
        )
        .await
        .expect("user created")
    }

    /// The CSRF token of the login page (also setting this client's CSRF cookie).
    pub async fn login_csrf(&self) -> String {
        let html = self.get("/login").await.text().await.unwrap();
        hidden_input(&html, "csrf").expect("a csrf input on the login page")
    }

    /// Posts the login form with this client's cookie jar.
    pub async fn post_login(&self, username: &str, password: &str) -> reqwest::Response {
        let csrf = self.login_csrf().await;
        self.client
            .post(self.url("/login"))
            .form(&[
                ("username", username),
                ("password", password),
                ("csrf", &csrf),
            ])
            .send()
            .await
            .unwrap()
    }

    /// Signs in and checks it worked.
    pub async fn sign_in(&self, username: &str, password: &str) {
        let res = self.post_login(username, password).await;
        assert_eq!(res.status(), 303, "sign-in of {username} should succeed");
    }
}

impl TestApp {
    /// Registers a client as an operator would (the CLI's service function), returning its secret if any.
    pub async fn register_client(
        &self,
        request: charter_registry::ClientRequest,
    ) -> charter_registry::RegisteredClient {
        let store = self.key_manager.store.clone();
        let hasher = charter_core::secret::SecretHasher::new(
            charter_core::secret::Pepper::from_base64(crate::TEST_PEPPER).expect("test pepper"),
        );
        charter_registry::register_client(
            store.as_ref(),
            &hasher,
            &SystemTokenGenerator::new(),
            self.clock.as_ref(),
            request,
            &charter_registry::RegistrationPolicy::operator(),
        )
        .await
        .expect("client registered")
    }
}

impl TestApp {
    /// Follows a browser through Charter's own pages from `res` — signing in as `user` and answering the
    /// consent page with `decision` ("allow" or "deny") when they come up — until a response leaves Charter (a
    /// redirect elsewhere) or is not a redirect (a page, such as a `form_post` response). Every request uses `b`'s
    /// cookie jar, as one browser would.
    pub async fn walk(
        &self,
        b: &reqwest::Client,
        mut res: reqwest::Response,
        user: &str,
        password: &str,
        decision: &str,
    ) -> reqwest::Response {
        for _ in 0..10 {
            if res.status() != 303 {
                return res;
            }
            let to = match res.headers().get("location").and_then(|v| v.to_str().ok()) {
                Some(to) if to.starts_with('/') => to.to_owned(),
                _ => return res,
            };
            res = if to.starts_with("/login") {
                let page = b
                    .get(self.url(&to))
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                let mut form = vec![
                    ("username", user.to_owned()),
                    ("password", password.to_owned()),
                    (
                        "csrf",
                        hidden_input(&page, "csrf").expect("csrf on the login page"),
                    ),
                ];
                if let Some(return_to) = hidden_input(&page, "return_to") {
                    form.push(("return_to", return_to));
                }
                b.post(self.url("/login")).form(&form).send().await.unwrap()
            } else if to.starts_with("/consent") {
                let page = b
                    .get(self.url(&to))
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                let form = [
                    (
                        "csrf",
                        hidden_input(&page, "csrf").expect("csrf on the consent page"),
                    ),
                    (
                        "request_id",
                        hidden_input(&page, "request_id").expect("request_id"),
                    ),
                    ("decision", decision.to_owned()),
                ];
                b.post(self.url("/consent"))
                    .form(&form)
                    .send()
                    .await
                    .unwrap()
            } else {
                b.get(self.url(&to)).send().await.unwrap()
            };
        }
        res
    }
}

/// The PKCE pair the flow helpers use (RFC 7636 Appendix B).
pub const PKCE_VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const PKCE_CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

impl TestApp {
    /// The whole authorization code flow for a confidential client in a fresh browser: authorize with PKCE,
    /// sign in as `user`, allow, and redeem the code with Basic authentication. Returns the token response.
    pub async fn code_flow_tokens(
        &self,
        client_id: &str,
        secret: &str,
        redirect_uri: &str,
        scope: &str,
        user: &str,
        password: &str,
    ) -> serde_json::Value {
        let b = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .unwrap();
        let mut url = reqwest::Url::parse(&self.url("/authorize")).unwrap();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("scope", scope)
            .append_pair("nonce", "n1")
            .append_pair("code_challenge", PKCE_CHALLENGE)
            .append_pair("code_challenge_method", "S256");
        let res = b.get(url.as_str()).send().await.unwrap();
        let res = self.walk(&b, res, user, password, "allow").await;
        let to = res.headers()["location"].to_str().unwrap().to_owned();
        let code = reqwest::Url::parse(&to)
            .unwrap()
            .query_pairs()
            .find(|(k, _)| k == "code")
            .expect("a code")
            .1
            .into_owned();
        let res = self
            .client
            .post(self.url("/token"))
            .basic_auth(client_id, Some(secret))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", redirect_uri),
                ("code_verifier", PKCE_VERIFIER),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "code exchange");
        res.json().await.unwrap()
    }
}
