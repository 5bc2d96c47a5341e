use std::sync::Mutex;

use async_trait::async_trait;
use charter_core::store::Revocations;

use super::*;

/// A feed that records the `since` of each poll and answers what it was given.
#[derive(Default)]
struct Feed {
    next: Mutex<Revocations>,
    asked: Mutex<Vec<Timestamp>>,
    down: Mutex<bool>,
}

#[async_trait]
impl RevocationFeed for Feed {
    async fn revocations_since(&self, since: Timestamp) -> Result<Revocations, StoreError> {
        self.asked.lock().unwrap().push(since);
        if *self.down.lock().unwrap() {
            return Err(StoreError::Unavailable("down".into()));
        }
        Ok(std::mem::take(&mut *self.next.lock().unwrap()))
    }
}

const HOUR: Duration = Duration::from_secs(3600);
const SKEW: Duration = Duration::from_secs(120);

fn at(secs: i64) -> Timestamp {
    Timestamp::from_unix(1_000_000 + secs)
}

fn view() -> RevocationView {
    RevocationView::new(HOUR + SKEW, SKEW, Duration::from_secs(60))
}

fn sub(s: &str) -> Subject {
    Subject::parse(s).unwrap()
}

#[tokio::test]
async fn unknown_until_the_first_poll() {
    let v = view();
    assert_eq!(v.check("jti", Some("g"), None), None);
    v.refresh(&Feed::default(), at(0)).await.unwrap();
    assert_eq!(v.check("jti", Some("g"), None), Some(false));
}

#[tokio::test]
async fn revocations_of_each_kind_are_seen() {
    let alice = sub("5a7700a1-bb7f-4de9-9c09-cd80145f72ae");
    let bob = sub("6b7700a1-bb7f-4de9-9c09-cd80145f72ae");
    let feed = Feed::default();
    *feed.next.lock().unwrap() = Revocations {
        denied: vec![("jti-1".into(), at(600))],
        revoked_grants: vec![("g-1".into(), at(0))],
        users: vec![(alice.clone(), true), (bob.clone(), false)],
    };
    let v = view();
    v.refresh(&feed, at(0)).await.unwrap();
    let cases: &[(&str, Option<&str>, Option<&Subject>, bool)] = &[
        ("jti-1", None, None, true),
        ("jti-2", None, None, false),
        ("jti-2", Some("g-1"), None, true),
        ("jti-2", Some("g-2"), None, false),
        ("jti-2", Some("g-2"), Some(&alice), true),
        ("jti-2", Some("g-2"), Some(&bob), false),
    ];
    for (jti, grant, who, revoked) in cases {
        assert_eq!(
            v.check(jti, *grant, *who),
            Some(*revoked),
            "{jti} {grant:?} {who:?}"
        );
    }

    // Re-enabled later.
    *feed.next.lock().unwrap() = Revocations {
        users: vec![(alice.clone(), false)],
        ..Revocations::default()
    };
    v.refresh(&feed, at(10)).await.unwrap();
    assert_eq!(v.check("jti-2", Some("g-2"), Some(&alice)), Some(false));
}

#[tokio::test]
async fn polls_cover_the_window_then_overlap_by_the_skew() {
    let feed = Feed::default();
    let v = view();
    v.refresh(&feed, at(10_000)).await.unwrap();
    v.refresh(&feed, at(10_001)).await.unwrap();
    v.refresh(&feed, at(20_000)).await.unwrap();
    assert_eq!(
        *feed.asked.lock().unwrap(),
        [
            at(10_000).minus(HOUR + SKEW),
            at(10_000).minus(SKEW),
            // Never further back than the window.
            at(20_000).minus(HOUR + SKEW)
        ]
    );
}

#[tokio::test]
async fn old_revocations_are_forgotten_but_disabled_users_are_not() {
    let alice = sub("5a7700a1-bb7f-4de9-9c09-cd80145f72ae");
    let feed = Feed::default();
    *feed.next.lock().unwrap() = Revocations {
        denied: vec![("jti-1".into(), at(600))],
        revoked_grants: vec![("g-1".into(), at(0))],
        users: vec![(alice.clone(), true)],
    };
    let v = view();
    v.refresh(&feed, at(0)).await.unwrap();
    assert_eq!(v.len(), 3);
    // Past the window, no token of g-1 or jti-1 can be live any more.
    v.refresh(&feed, at(0).plus(HOUR + SKEW + Duration::from_secs(601)))
        .await
        .unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v.check("x", None, Some(&alice)), Some(true));
}

#[tokio::test]
async fn a_failed_poll_keeps_the_view_until_it_is_too_stale() {
    let feed = Feed::default();
    let v = RevocationView::new(HOUR, SKEW, Duration::ZERO);
    v.refresh(&feed, at(0)).await.unwrap();
    *feed.down.lock().unwrap() = true;
    assert!(v.refresh(&feed, at(1)).await.is_err());
    // max_staleness zero: any age is too old, so callers must ask the database.
    std::thread::sleep(Duration::from_millis(2));
    assert_eq!(v.check("jti", None, None), None);
}
