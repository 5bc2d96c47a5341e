//! User codes and the polling decision, table-driven (RFC 8628 §3.5, §6.1).

use std::sync::atomic::{AtomicU8, Ordering};

use super::*;
use crate::random::SystemTokenGenerator;
use crate::secret::Pepper;

#[test]
fn generated_codes_use_the_alphabet_and_differ() {
    let rng = SystemTokenGenerator::new();
    let a = UserCode::generate(&rng);
    let b = UserCode::generate(&rng);
    assert_ne!(a, b);
    for code in [&a, &b] {
        assert_eq!(code.as_str().len(), USER_CODE_LEN);
        assert!(
            code.as_str()
                .bytes()
                .all(|c| USER_CODE_ALPHABET.contains(&c))
        );
        assert_eq!(UserCode::parse(&code.display()).as_ref(), Ok(code));
    }
}

/// Hands out 0, 1, 2, ... 255, 0, ...: every byte value, to show which are used.
#[derive(Debug, Default)]
struct Counting(AtomicU8);

impl TokenGenerator for Counting {
    fn fill(&self, buf: &mut [u8]) {
        for b in buf {
            *b = self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[test]
fn bytes_past_the_last_full_cycle_are_skipped() {
    let rng = Counting(AtomicU8::new(236));
    // 236..=239 are used, 240..=255 skipped, then 0, 1, 2, 3 follow.
    let code = UserCode::generate(&rng);
    assert_eq!(code.as_str(), "VWXZBCDF");
}

#[test]
fn entry_ignores_case_dashes_and_spaces() {
    let cases: &[(&str, Result<&str, InvalidUserCode>)] = &[
        ("BCDF-GHJK", Ok("BCDFGHJK")),
        ("bcdf-ghjk", Ok("BCDFGHJK")),
        ("bcdfghjk", Ok("BCDFGHJK")),
        (" Bcdf - gHjk ", Ok("BCDFGHJK")),
        ("B-C-D-F-G-H-J-K", Ok("BCDFGHJK")),
        ("BCDF-GHJ", Err(InvalidUserCode::Length)),
        ("BCDF-GHJKL", Err(InvalidUserCode::Length)),
        ("", Err(InvalidUserCode::Length)),
        ("ABCD-GHJK", Err(InvalidUserCode::Character)),
        ("BCDF-GHJ1", Err(InvalidUserCode::Character)),
        ("BCDF_GHJK", Err(InvalidUserCode::Length)),
        ("BCDFGHJÉ", Err(InvalidUserCode::Character)),
    ];
    for (input, expected) in cases {
        let got = UserCode::parse(input);
        match expected {
            Ok(norm) => assert_eq!(got.map(|c| c.0), Ok((*norm).to_owned()), "{input:?}"),
            Err(e) => assert_eq!(got.err().as_ref(), Some(e), "{input:?}"),
        }
    }
}

#[test]
fn display_and_lookup_key() {
    let code = UserCode::parse("wdjbmjht").unwrap();
    assert_eq!(code.display(), "WDJB-MJHT");
    assert_eq!(format!("{code:?}"), "UserCode(..)");
    let hasher = SecretHasher::new(Pepper::from_bytes(&[7; 32]));
    let key = code.lookup_key(&hasher);
    assert_eq!(
        key,
        UserCode::parse("WDJB-MJHT").unwrap().lookup_key(&hasher)
    );
    assert!(!key.contains("WDJBMJHT"));
    let other = SecretHasher::new(Pepper::from_bytes(&[8; 32]));
    assert_ne!(key, code.lookup_key(&other), "keyed by the pepper");
    assert_ne!(key, hasher.hash("WDJBMJHT"), "not a client-secret hash");
}

fn approval() -> DeviceApproval {
    DeviceApproval {
        user_sub: Subject::parse("5f0c2a64-1b7e-4c55-9d0e-3f1a2b3c4d5e").unwrap(),
        auth_time: Timestamp::from_unix(50),
        amr: vec!["pwd".into()],
    }
}

fn auth(status: DeviceStatus, last: Option<i64>, used: Option<i64>) -> DeviceAuthorization {
    DeviceAuthorization {
        device_code_hash: "h".into(),
        user_code_key: "k".into(),
        client_id: ClientId::parse("client-1").unwrap(),
        scope: ScopeSet::parse("openid").unwrap(),
        status,
        interval: Duration::from_secs(5),
        last_polled_at: last.map(Timestamp::from_unix),
        created_at: Timestamp::from_unix(0),
        expires_at: Timestamp::from_unix(600),
        used_at: used.map(Timestamp::from_unix),
    }
}

#[test]
fn poll_decisions() {
    use DeviceStatus::{Approved, Denied, Pending};
    let slow = |secs| PollOutcome::SlowDown {
        interval: Duration::from_secs(secs),
    };
    let cases: Vec<(&str, DeviceAuthorization, i64, PollOutcome)> = vec![
        (
            "first poll",
            auth(Pending, None, None),
            10,
            PollOutcome::Pending,
        ),
        (
            "after the interval",
            auth(Pending, Some(10), None),
            15,
            PollOutcome::Pending,
        ),
        (
            "well after",
            auth(Pending, Some(10), None),
            100,
            PollOutcome::Pending,
        ),
        (
            "one second early",
            auth(Pending, Some(10), None),
            14,
            slow(10),
        ),
        ("same second", auth(Pending, Some(10), None), 10, slow(10)),
        (
            "clock went back",
            auth(Pending, Some(10), None),
            9,
            slow(10),
        ),
        (
            "denied",
            auth(Denied, Some(10), None),
            11,
            PollOutcome::Denied,
        ),
        (
            "approved, even polled fast",
            auth(Approved(approval()), Some(10), None),
            11,
            PollOutcome::Approved(approval()),
        ),
        (
            "expired pending",
            auth(Pending, Some(10), None),
            600,
            PollOutcome::Expired,
        ),
        (
            "expired denied",
            auth(Denied, None, None),
            601,
            PollOutcome::Expired,
        ),
        (
            "expired approved",
            auth(Approved(approval()), None, None),
            600,
            PollOutcome::Expired,
        ),
        (
            "used",
            auth(Approved(approval()), None, Some(20)),
            21,
            PollOutcome::Used,
        ),
        (
            "used and expired",
            auth(Approved(approval()), None, Some(20)),
            900,
            PollOutcome::Used,
        ),
    ];
    for (name, a, now, expected) in cases {
        assert_eq!(
            decide_poll(&a, Timestamp::from_unix(now)),
            expected,
            "{name}"
        );
    }
}

#[test]
fn slow_down_grows_a_grown_interval() {
    let mut a = auth(DeviceStatus::Pending, Some(100), None);
    a.interval = Duration::from_secs(15);
    assert_eq!(
        decide_poll(&a, Timestamp::from_unix(110)),
        PollOutcome::SlowDown {
            interval: Duration::from_secs(20)
        }
    );
    assert_eq!(
        decide_poll(&a, Timestamp::from_unix(115)),
        PollOutcome::Pending
    );
}

#[test]
fn only_pending_live_unused_codes_await_the_user() {
    let now = Timestamp::from_unix(10);
    assert!(auth(DeviceStatus::Pending, None, None).awaits_user(now));
    assert!(!auth(DeviceStatus::Denied, None, None).awaits_user(now));
    assert!(!auth(DeviceStatus::Approved(approval()), None, None).awaits_user(now));
    assert!(!auth(DeviceStatus::Pending, None, Some(5)).awaits_user(now));
    assert!(!auth(DeviceStatus::Pending, None, None).awaits_user(Timestamp::from_unix(600)));
}

#[test]
fn throttle_keys_and_defaults() {
    assert_eq!(address_key("192.0.2.1"), "device-ip:192.0.2.1");
    assert_eq!(code_key("abc"), "device-code:abc");
    assert_eq!(ADDRESS_POLICY.delay(4), Duration::ZERO);
    assert_eq!(ADDRESS_POLICY.delay(5), Duration::from_secs(1));
    let p = DevicePolicy::default();
    assert_eq!((p.code_lifetime.as_secs(), p.interval.as_secs()), (600, 5));
    assert_eq!(DeviceStatus::Approved(approval()).as_str(), "approved");
}
