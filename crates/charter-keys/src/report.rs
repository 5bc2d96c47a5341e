//! What a set of applied key changes meant, in the terms an operator audits: which algorithm's signing key
//! changed hands, and which keys were withdrawn.
//!
//! The manager applies low-level [`KeyChange`]s (insert, activate, retire, revoke, remove) in one transaction;
//! the audit trail and the rotation counter want one fact per algorithm ("ES256 now signs with B; A stopped").
//! [`summarize`] turns the first into the second as a pure function, so a scheduled round and an operator's
//! `charter keys rotate` describe a rotation the same way. Generating a `next` key and removing an expired one
//! are routine and only logged: they change no signer. Neither does an algorithm's first key (first start, a
//! newly configured algorithm): nothing stopped signing, so it is not a rotation.

use charter_core::Timestamp;
use charter_core::keys::{KeyChange, KeyState, StoredKey};

/// One algorithm's signing key changing hands: at least one key stopped signing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rotation {
    pub alg: String,
    /// The key that signs from now on; `None` when the algorithm is no longer configured and its key stopped
    /// signing without a successor.
    pub activated: Option<String>,
    /// The keys that stopped signing (still published until `remove_after`).
    pub retired: Vec<String>,
    /// When the retired keys' material will be destroyed.
    pub remove_after: Option<Timestamp>,
}

/// A key withdrawn from the JWKS at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawal {
    pub kid: String,
    pub alg: String,
    /// The state it was in (`next` for an algorithm no longer configured, `active` for a compromise).
    pub was: KeyState,
}

/// What applied changes did, for the audit trail and metrics.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyReport {
    /// One per algorithm whose signing key changed, in the order the changes name them.
    pub rotations: Vec<Rotation>,
    pub withdrawn: Vec<Withdrawal>,
}

impl KeyReport {
    /// True when nothing an operator audits happened.
    pub fn is_empty(&self) -> bool {
        self.rotations.is_empty() && self.withdrawn.is_empty()
    }

    fn rotation(&mut self, alg: &str) -> &mut Rotation {
        let i = match self.rotations.iter().position(|r| r.alg == alg) {
            Some(i) => i,
            None => {
                self.rotations.push(Rotation {
                    alg: alg.to_owned(),
                    activated: None,
                    retired: Vec::new(),
                    remove_after: None,
                });
                self.rotations.len() - 1
            }
        };
        &mut self.rotations[i]
    }
}

/// The report of `changes`, applied to the key set `before`.
pub fn summarize(changes: &[KeyChange], before: &[StoredKey]) -> KeyReport {
    let find = |kid: &str| before.iter().find(|k| k.kid == kid);
    let mut report = KeyReport::default();
    for change in changes {
        match change {
            KeyChange::Insert(k) if k.state == KeyState::Active => {
                report.rotation(&k.alg).activated = Some(k.kid.clone());
            }
            KeyChange::Activate { kid, .. } => {
                if let Some(k) = find(kid) {
                    report.rotation(&k.alg).activated = Some(kid.clone());
                }
            }
            KeyChange::Retire {
                kid, remove_after, ..
            } => {
                if let Some(k) = find(kid) {
                    let r = report.rotation(&k.alg);
                    r.retired.push(kid.clone());
                    r.remove_after = Some(*remove_after);
                }
            }
            KeyChange::Revoke { kid, .. } => {
                if let Some(k) = find(kid) {
                    report.withdrawn.push(Withdrawal {
                        kid: kid.clone(),
                        alg: k.alg.clone(),
                        was: k.state,
                    });
                }
            }
            KeyChange::Insert(_) | KeyChange::Remove { .. } => {}
        }
    }
    report.rotations.retain(|r| !r.retired.is_empty());
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str, alg: &str, state: KeyState) -> StoredKey {
        StoredKey {
            kid: kid.into(),
            alg: alg.into(),
            state,
            public_jwk: "{}".into(),
            private_key: vec![1],
            kek_id: "kek".into(),
            created_at: Timestamp::from_unix(0),
            activated_at: None,
            retired_at: None,
            remove_after: None,
        }
    }

    fn t(s: i64) -> Timestamp {
        Timestamp::from_unix(s)
    }

    #[test]
    fn a_scheduled_rotation_is_one_fact_per_algorithm() {
        let before = [
            key("es-a", "ES256", KeyState::Active),
            key("es-n", "ES256", KeyState::Next),
            key("rs-a", "RS256", KeyState::Active),
            key("rs-n", "RS256", KeyState::Next),
            key("old", "RS256", KeyState::Retired),
        ];
        let changes = [
            KeyChange::Activate {
                kid: "es-n".into(),
                at: t(10),
            },
            KeyChange::Retire {
                kid: "es-a".into(),
                at: t(10),
                remove_after: t(99),
            },
            KeyChange::Insert(key("es-new", "ES256", KeyState::Next)),
            KeyChange::Activate {
                kid: "rs-n".into(),
                at: t(10),
            },
            KeyChange::Retire {
                kid: "rs-a".into(),
                at: t(10),
                remove_after: t(99),
            },
            KeyChange::Remove { kid: "old".into() },
        ];
        let report = summarize(&changes, &before);
        assert_eq!(
            report.rotations,
            [
                Rotation {
                    alg: "ES256".into(),
                    activated: Some("es-n".into()),
                    retired: vec!["es-a".into()],
                    remove_after: Some(t(99)),
                },
                Rotation {
                    alg: "RS256".into(),
                    activated: Some("rs-n".into()),
                    retired: vec!["rs-a".into()],
                    remove_after: Some(t(99)),
                },
            ]
        );
        assert!(report.withdrawn.is_empty());
    }

    #[test]
    fn routine_generation_and_removal_are_not_reported() {
        let before = [key("old", "ES256", KeyState::Retired)];
        let changes = [
            KeyChange::Insert(key("n", "ES256", KeyState::Next)),
            KeyChange::Remove { kid: "old".into() },
        ];
        assert!(summarize(&changes, &before).is_empty());
    }

    #[test]
    fn a_dropped_algorithm_retires_without_successor_and_withdraws_its_next_key() {
        let before = [
            key("ps-a", "PS256", KeyState::Active),
            key("ps-n", "PS256", KeyState::Next),
        ];
        let changes = [
            KeyChange::Retire {
                kid: "ps-a".into(),
                at: t(5),
                remove_after: t(50),
            },
            KeyChange::Revoke {
                kid: "ps-n".into(),
                at: t(5),
            },
        ];
        let report = summarize(&changes, &before);
        assert_eq!(report.rotations.len(), 1);
        assert_eq!(report.rotations[0].activated, None);
        assert_eq!(report.rotations[0].retired, ["ps-a"]);
        assert_eq!(
            report.withdrawn,
            [Withdrawal {
                kid: "ps-n".into(),
                alg: "PS256".into(),
                was: KeyState::Next,
            }]
        );
    }

    #[test]
    fn a_first_key_is_not_a_rotation() {
        let before = [key("n", "ES256", KeyState::Next)];
        let changes = [
            KeyChange::Insert(key("fresh", "EdDSA", KeyState::Active)),
            KeyChange::Activate {
                kid: "n".into(),
                at: t(1),
            },
        ];
        assert!(summarize(&changes, &before).is_empty());
    }

    #[test]
    fn a_generated_key_replacing_a_retired_one_is_a_rotation() {
        let before = [key("old", "EdDSA", KeyState::Active)];
        let changes = [
            KeyChange::Insert(key("fresh", "EdDSA", KeyState::Active)),
            KeyChange::Retire {
                kid: "old".into(),
                at: t(1),
                remove_after: t(9),
            },
        ];
        let report = summarize(&changes, &before);
        assert_eq!(report.rotations[0].activated.as_deref(), Some("fresh"));
        assert_eq!(report.rotations[0].retired, ["old"]);
    }
}
