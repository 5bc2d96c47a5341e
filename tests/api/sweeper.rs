//! The sweeper runs on one node at a time: a second node sharing the database stays idle while the first holds
//! the lease, and takes over once it lapses.

use std::time::Duration;

use charter_core::Timestamp;
use charter_core::clock::ManualClock;
use charter_server::settings::SweeperSettings;
use charter_server::sweeper::sweep_once;
use charter_storage::{ConnectOptions, SeaStore};
use charter_testkit::{Backend, T0, backend_tests, test_database};

async fn open(url: &str) -> SeaStore {
    let store = SeaStore::connect(&ConnectOptions {
        url: url.to_owned(),
        max_connections: 2,
        connect_timeout: Duration::from_secs(5),
        sqlite_busy_timeout: Duration::from_secs(5),
    })
    .await
    .unwrap();
    store.migrate().await.unwrap();
    store
}

async fn one_node_sweeps_at_a_time(backend: Backend) {
    let Some(db) = test_database(backend).await else {
        return;
    };
    let node_a = open(&db.url).await;
    let node_b = open(&db.url).await;
    let clock = ManualClock::new(Timestamp::from_unix(T0));
    let settings = SweeperSettings {
        enabled: true,
        interval: Duration::from_secs(60),
        batch_size: 10,
    };

    assert_eq!(
        sweep_once(&node_a, &clock, &settings, "a").await.unwrap(),
        Some(0)
    );
    assert_eq!(
        sweep_once(&node_b, &clock, &settings, "b").await.unwrap(),
        None,
        "a holds the lease"
    );
    assert_eq!(
        sweep_once(&node_a, &clock, &settings, "a").await.unwrap(),
        Some(0),
        "a renews"
    );

    // a stops renewing; after the lease (3 intervals) b takes over.
    clock.advance(Duration::from_secs(181));
    assert_eq!(
        sweep_once(&node_b, &clock, &settings, "b").await.unwrap(),
        Some(0)
    );
    assert_eq!(
        sweep_once(&node_a, &clock, &settings, "a").await.unwrap(),
        None
    );

    node_a.close().await;
    node_b.close().await;
}

backend_tests!(one_node_sweeps_at_a_time);
