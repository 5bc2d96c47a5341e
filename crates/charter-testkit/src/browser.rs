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
