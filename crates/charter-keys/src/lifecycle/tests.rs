//! The lifecycle, driven by an injected clock: no test sleeps.

use super::*;

const DAY: u64 = 86_400;

fn policy() -> Policy {
    Policy {
        rotation_interval: Duration::from_secs(30 * DAY),
        prepublish: Duration::from_secs(3600),
        retire_for: Duration::from_secs(1800),
    }
}

fn key(
    kid: &str,
    alg: SigningAlg,
    state: KeyState,
    created: i64,
    activated: Option<i64>,
) -> StoredKey {
    StoredKey {
        kid: kid.into(),
        alg: alg.as_str().into(),
        state,
        public_jwk: "{}".into(),
        private_key: vec![1],
        kek_id: "kek-x".into(),
        created_at: Timestamp::from_unix(created),
        activated_at: activated.map(Timestamp::from_unix),
        retired_at: None,
        remove_after: None,
    }
}

fn t(s: i64) -> Timestamp {
    Timestamp::from_unix(s)
}

const ES: SigningAlg = SigningAlg::ES256;

#[test]
fn bootstrap_generates_an_active_and_a_next_key() {
    assert_eq!(
        plan(&[], &[ES], t(0), &policy()),
        [
            Step::Generate {
                alg: ES,
                active: true
            },
            Step::Generate {
                alg: ES,
                active: false
            }
        ]
    );
}

#[test]
fn steady_state_does_nothing() {
    let keys = [
        key("a", ES, KeyState::Active, 0, Some(0)),
        key("n", ES, KeyState::Next, 0, None),
    ];
    assert!(plan(&keys, &[ES], t(10 * DAY as i64), &policy()).is_empty());
}

#[test]
fn a_missing_next_key_is_generated() {
    let keys = [key("a", ES, KeyState::Active, 0, Some(0))];
    assert_eq!(
        plan(&keys, &[ES], t(5), &policy()),
        [Step::Generate {
            alg: ES,
            active: false
        }]
    );
}

#[test]
fn rotation_when_due_promotes_the_published_next_key() {
    let keys = [
        key("a", ES, KeyState::Active, 0, Some(0)),
        key("n", ES, KeyState::Next, 10, None),
    ];
    let now = t(30 * DAY as i64);
    assert_eq!(
        plan(&keys, &[ES], now, &policy()),
        [
            Step::Activate { kid: "n".into() },
            Step::Retire {
                kid: "a".into(),
                remove_after: now.plus(policy().retire_for)
            },
            Step::Generate {
                alg: ES,
                active: false
            },
        ]
    );
    // One second earlier nothing happens.
    assert!(plan(&keys, &[ES], t(30 * DAY as i64 - 1), &policy()).is_empty());
}

#[test]
fn a_next_key_signs_only_after_prepublication() {
    // The next key appeared just now (e.g. the previous one was revoked): rotation waits for the JWKS caches.
    let now = 30 * DAY as i64;
    let keys = [
        key("a", ES, KeyState::Active, 0, Some(0)),
        key("n", ES, KeyState::Next, now - 60, None),
    ];
    assert!(plan(&keys, &[ES], t(now), &policy()).is_empty());
    let later = t(now - 60 + 3600);
    assert_eq!(
        plan(&keys, &[ES], later, &policy())[0],
        Step::Activate { kid: "n".into() }
    );
}

#[test]
fn retired_keys_stay_until_their_tokens_expired_then_go() {
    let mut old = key("old", ES, KeyState::Retired, 0, Some(0));
    old.remove_after = Some(t(1000));
    let keys = [
        key("a", ES, KeyState::Active, 0, Some(0)),
        key("n", ES, KeyState::Next, 0, None),
        old,
    ];
    assert!(plan(&keys, &[ES], t(999), &policy()).is_empty());
    assert_eq!(
        plan(&keys, &[ES], t(1000), &policy()),
        [Step::Remove { kid: "old".into() }]
    );
}

/// The ORDER BY mistake one well-known server made: with several retired keys, it is the expired ones that go,
/// never the newest.
#[test]
fn only_expired_retired_keys_are_removed() {
    let mut oldest = key("oldest", ES, KeyState::Retired, 0, Some(0));
    oldest.remove_after = Some(t(100));
    let mut newer = key("newer", ES, KeyState::Retired, 50, Some(50));
    newer.remove_after = Some(t(5000));
    let keys = [
        newer,
        key("a", ES, KeyState::Active, 60, Some(60)),
        key("n", ES, KeyState::Next, 60, None),
        oldest,
    ];
    assert_eq!(
        plan(&keys, &[ES], t(200), &policy()),
        [Step::Remove {
            kid: "oldest".into()
        }]
    );
}

#[test]
fn the_newest_active_key_wins_after_an_interrupted_change() {
    let keys = [
        key("a1", ES, KeyState::Active, 0, Some(0)),
        key("a2", ES, KeyState::Active, 5, Some(5)),
        key("n", ES, KeyState::Next, 5, None),
    ];
    let steps = plan(&keys, &[ES], t(10), &policy());
    assert_eq!(
        steps,
        [Step::Retire {
            kid: "a1".into(),
            remove_after: t(10).plus(policy().retire_for)
        }]
    );
}

#[test]
fn algorithms_are_independent() {
    let keys = [
        key("a", ES, KeyState::Active, 0, Some(0)),
        key("n", ES, KeyState::Next, 0, None),
    ];
    let steps = plan(&keys, &[ES, SigningAlg::EdDSA], t(1), &policy());
    assert_eq!(
        steps,
        [
            Step::Generate {
                alg: SigningAlg::EdDSA,
                active: true
            },
            Step::Generate {
                alg: SigningAlg::EdDSA,
                active: false
            }
        ]
    );
}

#[test]
fn an_unconfigured_algorithm_stops_signing() {
    let keys = [key("r", SigningAlg::RS256, KeyState::Active, 0, Some(0))];
    let steps = plan(&keys, &[], t(1), &policy());
    assert_eq!(
        steps,
        [Step::Retire {
            kid: "r".into(),
            remove_after: t(1).plus(policy().retire_for)
        }]
    );
}

#[test]
fn manual_rotation() {
    let keys = [
        key("a", ES, KeyState::Active, 0, Some(0)),
        key("n", ES, KeyState::Next, 0, None),
    ];
    let now = t(3600);
    assert_eq!(
        rotate(&keys, ES, now, &policy(), false).unwrap(),
        [
            Step::Activate { kid: "n".into() },
            Step::Retire {
                kid: "a".into(),
                remove_after: now.plus(policy().retire_for)
            },
            Step::Generate {
                alg: ES,
                active: false
            },
        ]
    );
    let only_active = [key("a", ES, KeyState::Active, 0, Some(0))];
    assert_eq!(
        rotate(&only_active, ES, now, &policy(), false).unwrap(),
        [Step::Generate {
            alg: ES,
            active: false
        }]
    );
}

#[test]
fn manual_rotation_waits_for_prepublication_unless_forced() {
    let keys = [
        key("a", ES, KeyState::Active, 0, Some(0)),
        key("n", ES, KeyState::Next, 100, None),
    ];
    assert_eq!(
        rotate(&keys, ES, t(700), &policy(), false),
        Err(RotateError::TooEarly(Duration::from_secs(3000)))
    );
    assert_eq!(
        rotate(&keys, ES, t(700), &policy(), true).unwrap()[0],
        Step::Activate { kid: "n".into() }
    );
    assert!(rotate(&keys, ES, t(3700), &policy(), false).is_ok());
}

#[test]
fn keys_of_an_unconfigured_algorithm_are_withdrawn() {
    let keys = [
        key("a", ES, KeyState::Active, 0, Some(0)),
        key("n", ES, KeyState::Next, 0, None),
    ];
    let steps = plan(&keys, &[], t(1), &policy());
    assert_eq!(
        steps,
        [
            Step::Retire {
                kid: "a".into(),
                remove_after: t(1).plus(policy().retire_for)
            },
            Step::Revoke { kid: "n".into() },
        ]
    );
}

#[test]
fn revoking_the_active_key_promotes_next_at_once() {
    let keys = [
        key("a", ES, KeyState::Active, 0, Some(0)),
        key("n", ES, KeyState::Next, 0, None),
    ];
    assert_eq!(
        revoke(&keys, "a").unwrap(),
        [
            Step::Revoke { kid: "a".into() },
            Step::Activate { kid: "n".into() },
            Step::Generate {
                alg: ES,
                active: false
            },
        ]
    );
}

#[test]
fn revoking_without_a_next_key_generates_a_signer() {
    let keys = [key("a", ES, KeyState::Active, 0, Some(0))];
    assert_eq!(
        revoke(&keys, "a").unwrap(),
        [
            Step::Revoke { kid: "a".into() },
            Step::Generate {
                alg: ES,
                active: true
            },
            Step::Generate {
                alg: ES,
                active: false
            },
        ]
    );
}

#[test]
fn revoking_next_or_retired_keys() {
    let mut r = key("r", ES, KeyState::Retired, 0, Some(0));
    r.remove_after = Some(t(99));
    let keys = [
        key("a", ES, KeyState::Active, 0, Some(0)),
        key("n", ES, KeyState::Next, 0, None),
        r,
    ];
    assert_eq!(
        revoke(&keys, "n").unwrap(),
        [
            Step::Revoke { kid: "n".into() },
            Step::Generate {
                alg: ES,
                active: false
            }
        ]
    );
    assert_eq!(
        revoke(&keys, "r").unwrap(),
        [Step::Revoke { kid: "r".into() }]
    );
    assert_eq!(revoke(&keys, "zzz"), Err(RevokeError::NoSuchKey));
    let gone = [key("x", ES, KeyState::Revoked, 0, None)];
    assert_eq!(
        revoke(&gone, "x"),
        Err(RevokeError::AlreadyGone(KeyState::Revoked))
    );
}
