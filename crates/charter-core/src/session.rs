//! The OP's own browser sign-in: a classic server-side session behind a cookie — boring, revocable,
//! debuggable (OWASP Session Management Cheat Sheet).
//!
//! The cookie holds a random 256-bit id; the database holds only its SHA-256 digest, so a database leak reveals
//! no usable cookie. A fresh id is issued at every sign-in (fixation). Sessions end after an idle timeout
//! (default 30 min) and an absolute timeout (default 10 h), and when the user or an operator ends them. The
//! `sid` is a separate random value, safe to put in ID tokens and logout tokens: it names the session without
//! being able to resume it.

use std::time::Duration;

use crate::clock::Timestamp;
use crate::ids::Subject;
use crate::random::{TokenGenerator, sizes};
use crate::secret::token_digest;

/// Session timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle_timeout: Duration,
    pub absolute_timeout: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(30 * 60),
            absolute_timeout: Duration::from_secs(10 * 3600),
        }
    }
}

/// A stored session. `id_hash` is the digest of the cookie value; the cookie value itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id_hash: String,
    /// Public session id for ID tokens and logout (`sid`), never the cookie value or its hash.
    pub sid: String,
    pub user_sub: Subject,
    /// When the user last authenticated (the `auth_time` claim).
    pub auth_time: Timestamp,
    /// Authentication methods (`amr`, RFC 8176), e.g. `["pwd"]`.
    pub amr: Vec<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub created_at: Timestamp,
    pub last_seen_at: Timestamp,
    pub idle_expires_at: Timestamp,
    pub expires_at: Timestamp,
}

/// How often an active session's idle deadline is pushed forward: at most once a minute, so browsing costs at
/// most one write per minute per session.
pub const TOUCH_EVERY: Duration = Duration::from_secs(60);

/// The longest user agent string kept (for the account page's device column).
pub const MAX_USER_AGENT: usize = 256;

impl Session {
    /// Starts a session for `user` at `now`. Returns the cookie value (shown to the browser once) and the row.
    pub fn start(
        rng: &dyn TokenGenerator,
        user: Subject,
        amr: Vec<String>,
        ip: Option<String>,
        user_agent: Option<String>,
        now: Timestamp,
        policy: &SessionPolicy,
    ) -> (String, Session) {
        let cookie = rng.token(sizes::SESSION_ID);
        let session = Session {
            id_hash: token_digest(&cookie),
            sid: rng.token(16),
            user_sub: user,
            auth_time: now,
            amr,
            ip,
            user_agent: user_agent.map(|ua| ua.chars().take(MAX_USER_AGENT).collect()),
            created_at: now,
            last_seen_at: now,
            idle_expires_at: now.plus(policy.idle_timeout),
            expires_at: now.plus(policy.absolute_timeout),
        };
        (cookie, session)
    }

    /// Still valid at `now`: neither idle nor absolute timeout has passed.
    pub fn is_live(&self, now: Timestamp) -> bool {
        !self.idle_expires_at.has_passed(now) && !self.expires_at.has_passed(now)
    }

    /// The idle deadline to store if this session is used at `now`, when it is worth a write.
    pub fn touch(&self, now: Timestamp, policy: &SessionPolicy) -> Option<Timestamp> {
        (now >= self.last_seen_at.plus(TOUCH_EVERY))
            .then(|| now.plus(policy.idle_timeout).min(self.expires_at))
    }

    /// Seconds since authentication, for `max_age`.
    pub fn age(&self, now: Timestamp) -> u64 {
        u64::try_from(now.unix().saturating_sub(self.auth_time.unix())).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SystemTokenGenerator;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_unix(s)
    }

    fn start(now: i64) -> (String, Session) {
        let rng = SystemTokenGenerator::new();
        let sub = Subject::generate(&rng);
        Session::start(
            &rng,
            sub,
            vec!["pwd".into()],
            None,
            Some("x".repeat(1000)),
            t(now),
            &SessionPolicy::default(),
        )
    }

    #[test]
    fn cookie_is_random_and_only_its_digest_is_kept() {
        let (cookie, s) = start(0);
        assert_eq!(cookie.len(), 43, "256 bits");
        assert_eq!(s.id_hash, token_digest(&cookie));
        assert_ne!(s.sid, cookie);
        assert!(!s.sid.contains(&cookie));
        assert_eq!(s.user_agent.as_ref().map(|u| u.len()), Some(MAX_USER_AGENT));
        let (cookie2, _) = start(0);
        assert_ne!(cookie, cookie2);
    }

    #[test]
    fn idle_and_absolute_timeouts() {
        let (_, s) = start(0);
        assert!(s.is_live(t(30 * 60 - 1)));
        assert!(!s.is_live(t(30 * 60)), "idle");
        let mut busy = s.clone();
        busy.idle_expires_at = t(11 * 3600);
        assert!(!busy.is_live(t(10 * 3600)), "absolute, however busy");
    }

    #[test]
    fn touching_is_rate_limited_and_capped() {
        let p = SessionPolicy::default();
        let (_, s) = start(0);
        assert_eq!(s.touch(t(59), &p), None);
        assert_eq!(s.touch(t(60), &p), Some(t(60 + 1800)));
        let mut late = s.clone();
        late.last_seen_at = t(35_000);
        assert_eq!(
            late.touch(t(35_900), &p),
            Some(t(36_000)),
            "never past the absolute timeout"
        );
    }
}
