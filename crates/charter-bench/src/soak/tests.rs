use super::*;
use hyper::StatusCode;

fn status_error(status: u16) -> anyhow::Error {
    anyhow::Error::new(UnexpectedStatus {
        what: "token".to_owned(),
        expected: "200".to_owned(),
        got: StatusCode::from_u16(status).expect("a status"),
        body: String::new(),
    })
}

#[test]
fn failures_are_told_apart() {
    assert_eq!(classify(&status_error(503)), Failure::ServerError);
    assert_eq!(classify(&status_error(429)), Failure::Status(429));
    let io = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::ConnectionRefused))
        .context("connect");
    assert_eq!(classify(&io), Failure::Transport);
    assert_eq!(
        classify(&anyhow::anyhow!("no access_token")),
        Failure::Other
    );
}

#[test]
fn the_sample_interval_is_at_most_a_tenth_of_the_run() {
    let opts = |duration: u64, every: u64| SoakOpts {
        duration: Duration::from_secs(duration),
        sample_every: Duration::from_secs(every),
        concurrency: 1,
        postgres: None,
        out: None,
    };
    assert_eq!(opts(1800, 30).sample_every(), Duration::from_secs(30));
    assert_eq!(opts(20, 30).sample_every(), Duration::from_secs(2));
    assert_eq!(opts(5, 30).sample_every(), Duration::from_secs(1));
}

#[test]
fn p99_of_an_interval() {
    let mut us: Vec<u32> = (1..=100).rev().map(|ms| ms * 1000).collect();
    assert_eq!(p99_ms(&mut us), 99.0);
    assert_eq!(p99_ms(&mut []), 0.0);
}

#[test]
fn operations_and_their_requests_are_counted() {
    let x = |status: u16, micros: u32| Exchange { status, micros };
    let mut t = Tally::default();
    t.record(
        Op::SignIn,
        vec![x(303, 10), x(200, 20), x(303, 30)],
        &Ok(()),
    );
    t.record(Op::Refresh, vec![x(503, 5)], &Err(status_error(503)));
    t.record(Op::Refresh, vec![x(429, 5)], &Err(status_error(429)));
    t.record(Op::Jwks, vec![], &Err(anyhow::anyhow!("not JSON")));
    assert_eq!((t.requests, t.server_errors), (5, 1));
    assert_eq!(t.latencies_us, vec![10, 20, 30, 5, 5]);
    assert_eq!(t.ops[Op::SignIn.index()], (1, 0));
    assert_eq!(t.ops[Op::Refresh.index()], (0, 2));
    assert_eq!(t.ops[Op::Jwks.index()], (0, 1));
    // The 5xx is counted once, as a response; the others are failed operations.
    assert_eq!(t.other_errors(), 2);
    assert_eq!(t.failures.statuses.get(&429), Some(&1));
    assert_eq!(t.failures.first.len(), 3);
    assert!(
        t.failures.first[0].starts_with("refresh-token rotation: token: expected 200, got 503")
    );
}

#[test]
fn tallies_add_up() {
    let mut total = Tally::default();
    let mut a = Tally {
        requests: 10,
        server_errors: 1,
        ..Tally::default()
    };
    a.ops[Op::Refresh.index()] = (4, 1);
    a.failures.statuses.insert(400, 1);
    a.failures.first.push("first".to_owned());
    let mut b = Tally {
        requests: 5,
        ..Tally::default()
    };
    b.ops[Op::Refresh.index()] = (2, 0);
    b.failures.statuses.insert(400, 2);
    b.failures.transport = 1;
    total.absorb(a);
    total.absorb(b);
    assert_eq!((total.requests, total.server_errors), (15, 1));
    assert_eq!(total.ops[Op::Refresh.index()], (6, 1));
    assert_eq!(total.failures.statuses.get(&400), Some(&3));
    assert_eq!(total.other_errors(), 4);
    assert_eq!(total.failures.first, vec!["first".to_owned()]);
}
