//! The device authorization grant (RFC 8628), as pure rules: user codes, the stored device authorization, and
//! what a polling client is told.
//!
//! - **User codes** (RFC 8628 §6.1): 8 characters from the 20 consonants `BCDFGHJKLMNPQRSTVWXZ` (no vowels, so
//!   no words; no digits that look like letters), shown as `XXXX-XXXX`, read back without regard to case,
//!   dashes or spaces ([`UserCode::parse`]). About 34.6 bits: guessing is held off by the short lifetime and by
//!   throttling entries per address and per code ([`ADDRESS_POLICY`], [`CODE_POLICY`]). Stored only as a keyed
//!   hash ([`UserCode::lookup_key`]), so a copy of the database cannot be used to approve someone's device.
//! - **Device codes** are 256-bit tokens, stored as their SHA-256 like every other token.
//! - **Polling** (RFC 8628 §3.5): [`decide_poll`] turns a stored authorization and "now" into a [`PollOutcome`];
//!   polling before the interval has passed is `slow_down`, and the interval then grows by 5 s for good.

use std::fmt;
use std::time::Duration;

use thiserror::Error;

use crate::clock::Timestamp;
use crate::ids::{ClientId, Subject};
use crate::random::TokenGenerator;
use crate::scope::ScopeSet;
use crate::secret::SecretHasher;
use crate::throttle::ThrottlePolicy;

/// The characters of a user code: consonants only (RFC 8628 §6.1).
pub const USER_CODE_ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
/// Characters in a user code (without its dash).
pub const USER_CODE_LEN: usize = 8;
/// How much the interval grows at every `slow_down` (RFC 8628 §3.5).
pub const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// Device codes: 256 bits.
pub const DEVICE_CODE_BYTES: usize = 32;

/// Wrong user codes per client address: 5 free, then a doubling delay up to 15 min.
pub const ADDRESS_POLICY: ThrottlePolicy = ThrottlePolicy {
    free_failures: 5,
    first_delay: Duration::from_secs(1),
    max_delay: Duration::from_secs(15 * 60),
    forget_after: Duration::from_secs(3600),
};

/// Failed entries of one code (whoever enters it): the same numbers.
pub const CODE_POLICY: ThrottlePolicy = ADDRESS_POLICY;

/// The throttling key of a client address entering user codes.
pub fn address_key(ip: &str) -> String {
    format!("device-ip:{ip}")
}

/// The throttling key of one entered code (its lookup key: the code itself is never stored).
pub fn code_key(lookup_key: &str) -> String {
    format!("device-code:{lookup_key}")
}

/// How long device codes live and how often clients may poll (`[device]` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DevicePolicy {
    /// `expires_in` of a new device code.
    pub code_lifetime: Duration,
    /// The initial polling `interval`.
    pub interval: Duration,
}

impl Default for DevicePolicy {
    fn default() -> Self {
        Self {
            code_lifetime: Duration::from_secs(600),
            interval: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidUserCode {
    #[error("a user code has 8 letters")]
    Length,
    #[error("a user code has only the letters BCDFGHJKLMNPQRSTVWXZ")]
    Character,
}

/// A user code, normalised: 8 upper-case consonants, no dash. `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct UserCode(String);

impl UserCode {
    /// A fresh code, uniformly drawn from the alphabet (rejection sampling, no modulo bias).
    pub fn generate(rng: &dyn TokenGenerator) -> Self {
        // 240 = 12 * 20: bytes from 240 up would favour the first letters.
        let mut code = String::with_capacity(USER_CODE_LEN);
        let mut buf = [0u8; 16];
        while code.len() < USER_CODE_LEN {
            rng.fill(&mut buf);
            for b in buf.iter().filter(|b| **b < 240) {
                if code.len() == USER_CODE_LEN {
                    break;
                }
                code.push(char::from(USER_CODE_ALPHABET[usize::from(*b % 20)]));
            }
        }
        Self(code)
    }

    /// What a user typed: case, dashes and spaces do not matter.
    pub fn parse(input: &str) -> Result<Self, InvalidUserCode> {
        let code: String = input
            .chars()
            .filter(|c| !matches!(c, '-' | ' ' | '\t'))
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if code.chars().count() != USER_CODE_LEN {
            return Err(InvalidUserCode::Length);
        }
        if !code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)) {
            return Err(InvalidUserCode::Character);
        }
        Ok(Self(code))
    }

    /// The normalised form (8 letters).
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// How the code is shown: `XXXX-XXXX`.
    pub fn display(&self) -> String {
        let (a, b) = self.0.split_at(USER_CODE_LEN / 2);
        format!("{a}-{b}")
    }

    /// The database key of the code: a keyed hash under the server pepper (a plain digest of 35 bits would be
    /// reversed in seconds), domain-separated from client secrets.
    pub fn lookup_key(&self, hasher: &SecretHasher) -> String {
        hasher.hash(&format!("device-user-code:{}", self.0))
    }
}

impl fmt::Debug for UserCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UserCode(..)")
    }
}

/// Who approved a device, and how they had signed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceApproval {
    pub user_sub: Subject,
    /// When the user authenticated (the ID token's `auth_time`).
    pub auth_time: Timestamp,
    pub amr: Vec<String>,
}

/// Where the user's decision stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceStatus {
    Pending,
    Approved(DeviceApproval),
    Denied,
}

impl DeviceStatus {
    /// The stored name of the status.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved(_) => "approved",
            Self::Denied => "denied",
        }
    }
}

/// A device authorization request as stored, keyed by the digest of its device code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceAuthorization {
    pub device_code_hash: String,
    /// [`UserCode::lookup_key`] of its user code.
    pub user_code_key: String,
    pub client_id: ClientId,
    pub scope: ScopeSet,
    pub status: DeviceStatus,
    /// The polling interval this client must keep to (grown by every `slow_down`).
    pub interval: Duration,
    pub last_polled_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// Set once tokens were issued: the device code is single-use.
    pub used_at: Option<Timestamp>,
}

impl DeviceAuthorization {
    /// Whether a user may still approve or deny it.
    pub fn awaits_user(&self, now: Timestamp) -> bool {
        self.status == DeviceStatus::Pending
            && self.used_at.is_none()
            && !self.expires_at.has_passed(now)
    }
}

/// What a poll of the token endpoint gets (RFC 8628 §3.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollOutcome {
    /// `authorization_pending`: record the poll and come back after the interval.
    Pending,
    /// `slow_down`: polled too soon; the interval is now `interval`.
    SlowDown { interval: Duration },
    /// `access_denied`: the user said no.
    Denied,
    /// `expired_token`: the device code expired before tokens were issued.
    Expired,
    /// `invalid_grant`: tokens were issued for this code already.
    Used,
    /// The user approved: issue tokens (once).
    Approved(DeviceApproval),
}

/// Decides a poll of `auth` at `now`. A code used once is refused whatever else holds; an expired one is
/// `expired_token` even if approved; only a pending one is rate-checked.
pub fn decide_poll(auth: &DeviceAuthorization, now: Timestamp) -> PollOutcome {
    if auth.used_at.is_some() {
        return PollOutcome::Used;
    }
    if auth.expires_at.has_passed(now) {
        return PollOutcome::Expired;
    }
    match &auth.status {
        DeviceStatus::Denied => PollOutcome::Denied,
        DeviceStatus::Approved(a) => PollOutcome::Approved(a.clone()),
        DeviceStatus::Pending => match auth.last_polled_at {
            Some(last) if !last.plus(auth.interval).has_passed(now) => PollOutcome::SlowDown {
                interval: auth.interval.saturating_add(SLOW_DOWN_STEP),
            },
            _ => PollOutcome::Pending,
        },
    }
}

#[cfg(test)]
mod tests;
