//! The key lifecycle as pure functions of (keys, now, policy).
//!
//! ```text
//!   generate ──> next ──(rotation due, published ≥ prepublish)──> active ──(successor activated)──> retired
//!                 │                                                  │                                 │
//!                 └──────────── revoke (compromise) ─────────────────┴──────────> revoked             │
//!                                                                           removed <──(remove_after)──┘
//! ```
//!
//! - A `next` key is in the JWKS before it signs anything, for longer than relying parties cache the JWKS, so
//!   no relying party ever meets a `kid` it has not seen.
//! - Exactly one `active` key per algorithm signs.
//! - A `retired` key stays published until every token it signed has expired (longest token lifetime + clock
//!   skew), then its material is destroyed.
//! - Revoking the active key promotes the `next` key at once (an unknown `kid` for a few minutes is better than
//!   tokens signed by a leaked key) and generates a new `next`.
//!
//! The planner only says what should happen; [`crate::manager`] makes it so in one transaction.

use std::time::Duration;

use charter_core::Timestamp;
use charter_core::keys::{KeyState, StoredKey};

use crate::alg::SigningAlg;

/// Timing rules for keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// How long a key signs before its successor takes over (default 30 days).
    pub rotation_interval: Duration,
    /// How long a `next` key must have been published before it may sign. Longer than the JWKS cache lifetime.
    pub prepublish: Duration,
    /// How long a retired key stays published: the longest token lifetime plus clock skew.
    pub retire_for: Duration,
}

/// One thing to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Create a key for `alg`, directly `active` (no signer exists) or as `next`.
    Generate {
        alg: SigningAlg,
        active: bool,
    },
    Activate {
        kid: String,
    },
    Retire {
        kid: String,
        remove_after: Timestamp,
    },
    Revoke {
        kid: String,
    },
    Remove {
        kid: String,
    },
}

fn alg_of(k: &StoredKey) -> Option<SigningAlg> {
    k.alg.parse().ok()
}

fn of(keys: &[StoredKey], alg: SigningAlg, state: KeyState) -> Vec<&StoredKey> {
    keys.iter()
        .filter(|k| k.state == state && alg_of(k) == Some(alg))
        .collect()
}

/// The newest active key first (the one that signs); the oldest `next` first (the one published longest).
fn sorted(keys: &[StoredKey], alg: SigningAlg) -> (Vec<&StoredKey>, Vec<&StoredKey>) {
    let mut active = of(keys, alg, KeyState::Active);
    active.sort_by_key(|k| std::cmp::Reverse((k.activated_at, k.created_at)));
    let mut next = of(keys, alg, KeyState::Next);
    next.sort_by_key(|k| (k.created_at, k.kid.clone()));
    (active, next)
}

/// What the scheduled maintenance should do now for the configured algorithms.
pub fn plan(keys: &[StoredKey], algs: &[SigningAlg], now: Timestamp, policy: &Policy) -> Vec<Step> {
    let mut steps = Vec::new();
    for &alg in algs {
        let (active, next) = sorted(keys, alg);
        let remove_after = now.plus(policy.retire_for);
        match active.first() {
            None => {
                // Nothing signs for this algorithm: bootstrap, or recovery after a revocation. A published
                // `next` is promoted; otherwise a key is generated directly active.
                match next.first() {
                    Some(n) => steps.push(Step::Activate { kid: n.kid.clone() }),
                    None => steps.push(Step::Generate { alg, active: true }),
                }
                if next.len() <= 1 {
                    steps.push(Step::Generate { alg, active: false });
                }
            }
            Some(current) => {
                // Two active keys of one algorithm can only come from an interrupted manual change: keep the
                // newest, retire the others.
                for extra in &active[1..] {
                    steps.push(Step::Retire {
                        kid: extra.kid.clone(),
                        remove_after,
                    });
                }
                let since = current.activated_at.unwrap_or(current.created_at);
                let due = since.plus(policy.rotation_interval).has_passed(now);
                match next.first() {
                    None => steps.push(Step::Generate { alg, active: false }),
                    Some(n) if due && n.created_at.plus(policy.prepublish).has_passed(now) => {
                        steps.push(Step::Activate { kid: n.kid.clone() });
                        steps.push(Step::Retire {
                            kid: current.kid.clone(),
                            remove_after,
                        });
                        if next.len() == 1 {
                            steps.push(Step::Generate { alg, active: false });
                        }
                    }
                    Some(_) => {}
                }
            }
        }
    }
    // Keys of algorithms no longer configured stop signing (and then age out like any retired key); their
    // `next` keys never signed anything, so they are withdrawn at once.
    for k in keys
        .iter()
        .filter(|k| alg_of(k).is_none_or(|a| !algs.contains(&a)))
    {
        match k.state {
            KeyState::Active => steps.push(Step::Retire {
                kid: k.kid.clone(),
                remove_after: now.plus(policy.retire_for),
            }),
            KeyState::Next => steps.push(Step::Revoke { kid: k.kid.clone() }),
            _ => {}
        }
    }
    for k in keys.iter().filter(|k| k.state == KeyState::Retired) {
        if k.remove_after.is_none_or(|t| t.has_passed(now)) {
            steps.push(Step::Remove { kid: k.kid.clone() });
        }
    }
    steps
}

/// Why a manual rotation was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RotateError {
    /// The `next` key has been published for less than `prepublish`: relying parties may not know it yet.
    /// The value is how much longer to wait.
    TooEarly(Duration),
}

/// An operator's rotation: the `next` key of `alg` signs from now on. Without a `next` key, the only step is
/// to generate one (rotate again once it has been published). A `next` key published for less than
/// `prepublish` is refused unless `force`: relying parties could meet a `kid` their cached JWKS lacks.
pub fn rotate(
    keys: &[StoredKey],
    alg: SigningAlg,
    now: Timestamp,
    policy: &Policy,
    force: bool,
) -> Result<Vec<Step>, RotateError> {
    let (active, next) = sorted(keys, alg);
    let Some(n) = next.first() else {
        return Ok(vec![Step::Generate { alg, active: false }]);
    };
    let ready_at = n.created_at.plus(policy.prepublish);
    if !force && !ready_at.has_passed(now) && !active.is_empty() {
        let wait = u64::try_from(ready_at.unix() - now.unix()).unwrap_or(0);
        return Err(RotateError::TooEarly(Duration::from_secs(wait)));
    }
    let mut steps = vec![Step::Activate { kid: n.kid.clone() }];
    steps.extend(active.iter().map(|a| Step::Retire {
        kid: a.kid.clone(),
        remove_after: now.plus(policy.retire_for),
    }));
    if next.len() == 1 {
        steps.push(Step::Generate { alg, active: false });
    }
    Ok(steps)
}

/// Why a revocation was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokeError {
    NoSuchKey,
    AlreadyGone(KeyState),
}

/// A compromised key: out of the JWKS and refused at once. If it was the active key, the `next` key takes
/// over immediately (or, without one, a fresh key is generated active), and a new `next` is made.
pub fn revoke(keys: &[StoredKey], kid: &str) -> Result<Vec<Step>, RevokeError> {
    let key = keys
        .iter()
        .find(|k| k.kid == kid)
        .ok_or(RevokeError::NoSuchKey)?;
    if !key.state.is_published() {
        return Err(RevokeError::AlreadyGone(key.state));
    }
    let mut steps = vec![Step::Revoke {
        kid: kid.to_owned(),
    }];
    let Some(alg) = alg_of(key) else {
        return Ok(steps);
    };
    let (_, next) = sorted(keys, alg);
    let remaining_next: Vec<_> = next.iter().filter(|n| n.kid != kid).collect();
    match key.state {
        KeyState::Active => {
            match remaining_next.first() {
                Some(n) => steps.push(Step::Activate { kid: n.kid.clone() }),
                None => steps.push(Step::Generate { alg, active: true }),
            }
            if remaining_next.len() <= 1 {
                steps.push(Step::Generate { alg, active: false });
            }
        }
        KeyState::Next if remaining_next.is_empty() => {
            steps.push(Step::Generate { alg, active: false })
        }
        _ => {}
    }
    Ok(steps)
}

#[cfg(test)]
mod tests;
