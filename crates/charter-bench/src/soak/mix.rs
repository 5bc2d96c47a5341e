//! The soak test's traffic: each worker plays one user of one relying party plus one API client, cycling
//! through a fixed, weighted sequence of operations ([`CYCLE`]) that together touch every endpoint a
//! production deployment serves all day — sign-in with PKCE (RFC 7636), consent, code exchange, refresh-token
//! rotation, client credentials, introspection (RFC 7662), userinfo, revocation (RFC 7009), discovery and JWKS.
//!
//! The benchmark's workers are reused where they fit (the code flow with a session, refresh rotation, client
//! credentials, discovery and JWKS); the operations that need a browser's walk through Charter's pages —
//! sign-in and consent — are here. An operation that needs state the worker does not have (after a failed
//! sign-in, say) runs a sign-in instead, so one failure does not cascade through the cycle.

use std::sync::Arc;

use anyhow::{Context, anyhow, bail};

use crate::load::{Answer, Conn, Repeat, Worker};
use crate::scenarios::{
    ClientCredentials, ClientCreds, CodeFlow, Jar, PASSWORD, REDIRECT_URI, Refresh, authorize_path,
    authorize_path_with, code_in, field, hidden_input, redeem,
};

/// What the relying party asks for: everything, so that one consent covers the code flow's requests.
const SCOPE: &str = "openid profile email offline_access";

/// The kinds of operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Op {
    /// A fresh browser: authorize with PKCE → sign in → (consent, the first time) → code → token → userinfo.
    SignIn,
    /// A signed-in browser, `prompt=consent`: authorize → consent page → allow → code → token.
    Consent,
    /// A signed-in browser with consent remembered: authorize → code → token → userinfo (the benchmark's).
    CodeFlow,
    Refresh,
    ClientCredentials,
    Introspection,
    Userinfo,
    /// Revokes the access token and the refresh token, and checks that the refresh token is dead.
    Revocation,
    Discovery,
    Jwks,
}

impl Op {
    pub const ALL: [Op; 10] = [
        Op::SignIn,
        Op::Consent,
        Op::CodeFlow,
        Op::Refresh,
        Op::ClientCredentials,
        Op::Introspection,
        Op::Userinfo,
        Op::Revocation,
        Op::Discovery,
        Op::Jwks,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Op::SignIn => "sign-in flow (PKCE, sign-in, code exchange, userinfo)",
            Op::Consent => "consent flow (prompt=consent, allow, code exchange)",
            Op::CodeFlow => "code flow with a session (authorize, token, userinfo)",
            Op::Refresh => "refresh-token rotation",
            Op::ClientCredentials => "client_credentials",
            Op::Introspection => "introspection",
            Op::Userinfo => "userinfo",
            Op::Revocation => "revocation (access + refresh token)",
            Op::Discovery => "discovery",
            Op::Jwks => "JWKS",
        }
    }

    pub fn index(self) -> usize {
        Op::ALL.iter().position(|o| *o == self).unwrap_or(0)
    }
}

/// One worker's sequence: a sign-in starts it (it is the most expensive: an Argon2id verification), a
/// revocation ends it. Weights per cycle: sign-in, consent, code flow and revocation 1 each; refresh, client
/// credentials, introspection and userinfo 3 each; discovery and JWKS 2 each.
pub const CYCLE: [Op; 20] = [
    Op::SignIn,
    Op::Consent,
    Op::Discovery,
    Op::Refresh,
    Op::ClientCredentials,
    Op::Userinfo,
    Op::Introspection,
    Op::Jwks,
    Op::CodeFlow,
    Op::Refresh,
    Op::ClientCredentials,
    Op::Userinfo,
    Op::Introspection,
    Op::Discovery,
    Op::Refresh,
    Op::ClientCredentials,
    Op::Jwks,
    Op::Introspection,
    Op::Userinfo,
    Op::Revocation,
];

#[derive(Debug, Clone)]
struct Tokens {
    access: String,
    refresh: String,
}

/// One simulated user and its relying party's state.
#[derive(Debug)]
pub struct Mix {
    username: String,
    rp_id: String,
    rp_basic: String,
    api: ClientCredentials,
    discovery: Repeat,
    jwks: Repeat,
    session: Option<Jar>,
    tokens: Option<Tokens>,
    at: usize,
}

impl Mix {
    /// A worker signing in as `username`; `offset` staggers the workers through the cycle.
    pub fn new(username: String, rp: &ClientCreds, api: &ClientCreds, offset: usize) -> Self {
        Self {
            username,
            rp_id: rp.id.clone(),
            rp_basic: rp.basic(),
            api: ClientCredentials {
                basics: Arc::new(vec![api.basic()]),
                next: 0,
                stride: 1,
            },
            discovery: Repeat::get("/.well-known/openid-configuration"),
            jwks: Repeat::get("/jwks"),
            session: None,
            tokens: None,
            at: offset % CYCLE.len(),
        }
    }

    /// The next operation: the cycle's, or a sign-in when the worker lacks what that one needs.
    pub fn next_op(&mut self) -> Op {
        let op = CYCLE[self.at];
        self.at = (self.at + 1) % CYCLE.len();
        let ready = match op {
            Op::Consent | Op::CodeFlow => self.session.is_some(),
            Op::Refresh | Op::Introspection | Op::Userinfo | Op::Revocation => {
                self.tokens.is_some()
            }
            _ => true,
        };
        if ready { op } else { Op::SignIn }
    }

    pub async fn run(&mut self, op: Op, conn: &mut Conn) -> anyhow::Result<()> {
        match op {
            Op::SignIn => self.sign_in(conn).await,
            Op::Consent => self.consent(conn).await,
            Op::CodeFlow => {
                let mut flow = CodeFlow {
                    cookie: self.jar()?.header(),
                    basic: self.rp_basic.clone(),
                    path: authorize_path(&self.rp_id, "openid profile"),
                };
                flow.step(conn).await
            }
            Op::Refresh => {
                let tokens = self.tokens()?;
                let mut refresh = Refresh {
                    basic: self.rp_basic.clone(),
                    token: tokens.refresh.clone(),
                };
                let outcome = refresh.step(conn).await;
                // The old token is spent whether or not the answer arrived: keep the new one only.
                self.tokens = outcome.is_ok().then_some(Tokens {
                    refresh: refresh.token,
                    ..tokens
                });
                outcome
            }
            Op::ClientCredentials => self.api.step(conn).await,
            Op::Introspection => self.introspect(conn).await,
            Op::Userinfo => {
                let bearer = format!("Bearer {}", self.tokens()?.access);
                conn.get("/userinfo", &[("authorization", &bearer)])
                    .await?
                    .expect(200, "userinfo")?;
                Ok(())
            }
            Op::Revocation => self.revoke(conn).await,
            Op::Discovery => self.discovery.step(conn).await,
            Op::Jwks => self.jwks.step(conn).await,
        }
    }

    fn jar(&self) -> anyhow::Result<&Jar> {
        self.session.as_ref().context("no session")
    }

    fn tokens(&self) -> anyhow::Result<Tokens> {
        self.tokens.clone().context("no tokens")
    }

    async fn sign_in(&mut self, conn: &mut Conn) -> anyhow::Result<()> {
        self.session = None;
        self.tokens = None;
        let mut jar = Jar::default();
        let start = conn.get(&authorize_path(&self.rp_id, SCOPE), &[]).await?;
        let walked = walk(conn, &mut jar, start, &self.username).await?;
        if !walked.signed_in {
            bail!("authorize without a session did not ask to sign in");
        }
        let tokens = self.exchange(conn, &walked.code).await?;
        let bearer = format!("Bearer {}", tokens.access);
        conn.get("/userinfo", &[("authorization", &bearer)])
            .await?
            .expect(200, "userinfo")?;
        self.session = Some(jar);
        self.tokens = Some(tokens);
        Ok(())
    }

    async fn consent(&mut self, conn: &mut Conn) -> anyhow::Result<()> {
        let mut jar = self.jar()?.clone();
        let path = authorize_path_with(&self.rp_id, SCOPE, &[("prompt", "consent")]);
        let start = conn.get(&path, &[("cookie", &jar.header())]).await?;
        let walked = walk(conn, &mut jar, start, &self.username).await?;
        if !walked.consented {
            bail!("prompt=consent did not show the consent page");
        }
        self.tokens = Some(self.exchange(conn, &walked.code).await?);
        self.session = Some(jar);
        Ok(())
    }

    async fn exchange(&self, conn: &mut Conn, code: &str) -> anyhow::Result<Tokens> {
        let answer = redeem(conn, &self.rp_basic, code).await?;
        Ok(Tokens {
            access: field(&answer, "access_token")?,
            refresh: field(&answer, "refresh_token")?,
        })
    }

    /// The user's access token, introspected by its own client: it must be active.
    async fn introspect(&mut self, conn: &mut Conn) -> anyhow::Result<()> {
        let tokens = self.tokens()?;
        let answer = conn
            .post_form(
                "/introspect",
                &[("authorization", &self.rp_basic)],
                &[("token", &tokens.access)],
            )
            .await?
            .expect(200, "introspection")?;
        if answer.json()?["active"] != true {
            bail!("introspection: a live access token is inactive");
        }
        Ok(())
    }

    async fn revoke(&mut self, conn: &mut Conn) -> anyhow::Result<()> {
        let tokens = self.tokens()?;
        // Whatever happens next, these tokens are no longer to be used.
        self.tokens = None;
        for (token, hint) in [
            (&tokens.access, "access_token"),
            (&tokens.refresh, "refresh_token"),
        ] {
            conn.post_form(
                "/revoke",
                &[("authorization", &self.rp_basic)],
                &[("token", token), ("token_type_hint", hint)],
            )
            .await?
            .expect(200, "revocation")?;
        }
        conn.post_form(
            "/token",
            &[("authorization", &self.rp_basic)],
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &tokens.refresh),
            ],
        )
        .await?
        .expect(400, "refresh with a revoked token")?;
        Ok(())
    }
}

/// Where a browser's walk through Charter's pages ended.
#[derive(Debug)]
struct Walked {
    code: String,
    signed_in: bool,
    consented: bool,
}

/// Follows a browser from an authorize answer through Charter's pages — signing in as `username` and allowing
/// on the consent page when they come up — to the relying party's redirect, and returns its code.
async fn walk(
    conn: &mut Conn,
    jar: &mut Jar,
    mut answer: Answer,
    username: &str,
) -> anyhow::Result<Walked> {
    let (mut signed_in, mut consented) = (false, false);
    for _ in 0..8 {
        jar.add(answer.cookies());
        if !matches!(answer.status.as_u16(), 302 | 303) {
            return Err(answer.unexpected("authorize", "a redirect").into());
        }
        let to = answer.header("location").context("a Location")?.to_owned();
        if to.starts_with(REDIRECT_URI) {
            return Ok(Walked {
                code: code_in(&to)?,
                signed_in,
                consented,
            });
        }
        if !to.starts_with('/') {
            bail!("authorize sent the browser to {to}");
        }
        let page = conn.get(&to, &[("cookie", &jar.header())]).await?;
        answer = if to.starts_with("/login") {
            let page = page.expect(200, "GET /login")?;
            jar.add(page.cookies());
            let html = String::from_utf8_lossy(&page.body);
            let csrf = hidden_input(&html, "csrf").ok_or_else(|| anyhow!("no csrf on /login"))?;
            let mut form = vec![
                ("username", username.to_owned()),
                ("password", PASSWORD.to_owned()),
                ("csrf", csrf),
            ];
            if let Some(return_to) = hidden_input(&html, "return_to") {
                form.push(("return_to", return_to));
            }
            signed_in = true;
            post(conn, jar, "/login", &form).await?
        } else if to.starts_with("/consent") {
            let page = page.expect(200, "GET /consent")?;
            jar.add(page.cookies());
            let html = String::from_utf8_lossy(&page.body);
            let input = |name: &str| {
                hidden_input(&html, name).ok_or_else(|| anyhow!("no {name} on /consent"))
            };
            let form = vec![
                ("csrf", input("csrf")?),
                ("request_id", input("request_id")?),
                ("decision", "allow".to_owned()),
            ];
            consented = true;
            post(conn, jar, "/consent", &form).await?
        } else {
            page
        };
    }
    bail!("authorize: too many redirects")
}

async fn post(
    conn: &mut Conn,
    jar: &Jar,
    path: &str,
    form: &[(&str, String)],
) -> anyhow::Result<Answer> {
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    conn.post_form(path, &[("cookie", &jar.header())], &form)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mix() -> Mix {
        let c = ClientCreds {
            id: "c".to_owned(),
            secret: "s".to_owned(),
        };
        Mix::new("bench0".to_owned(), &c, &c, 0)
    }

    #[test]
    fn the_cycle_has_every_operation_with_its_weight() {
        let weight = |op: Op| CYCLE.iter().filter(|o| **o == op).count();
        for op in Op::ALL {
            let expected = match op {
                Op::SignIn | Op::Consent | Op::CodeFlow | Op::Revocation => 1,
                Op::Discovery | Op::Jwks => 2,
                _ => 3,
            };
            assert_eq!(weight(op), expected, "{op:?}");
        }
        assert_eq!(CYCLE[0], Op::SignIn);
        assert_eq!(CYCLE[CYCLE.len() - 1], Op::Revocation);
    }

    #[test]
    fn without_state_a_worker_signs_in_first() {
        let mut m = mix();
        m.at = 1;
        assert_eq!(m.next_op(), Op::SignIn, "consent needs a session");
        assert_eq!(m.next_op(), Op::Discovery, "discovery needs nothing");
        assert_eq!(m.next_op(), Op::SignIn, "refresh needs tokens");
        m.session = Some(Jar::default());
        m.tokens = Some(Tokens {
            access: "a".to_owned(),
            refresh: "r".to_owned(),
        });
        m.at = 1;
        let ops: Vec<Op> = (0..CYCLE.len()).map(|_| m.next_op()).collect();
        let mut expected = CYCLE[1..].to_vec();
        expected.push(CYCLE[0]);
        assert_eq!(ops, expected, "with state the cycle runs as written");
    }

    #[test]
    fn every_operation_has_its_own_index() {
        for (i, op) in Op::ALL.iter().enumerate() {
            assert_eq!(op.index(), i);
        }
    }
}
