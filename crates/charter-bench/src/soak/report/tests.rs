use super::*;

fn sample(elapsed_s: f64, rss_mib: f64) -> Sample {
    Sample {
        elapsed_s,
        rss_mib,
        ..Sample::default()
    }
}

fn ops(ok: u64) -> Vec<OpCount> {
    vec![
        OpCount {
            name: "sign-in flow".to_owned(),
            ok: 10,
            failed: 0,
        },
        OpCount {
            name: "revocation".to_owned(),
            ok,
            failed: 1,
        },
    ]
}

fn rss(after_warmup: f64, end: f64) -> Rss {
    Rss {
        start: 20.0,
        after_warmup,
        max: end.max(after_warmup),
        end,
        slope_mib_per_hour: 0.0,
    }
}

fn facts<'a>(operations: &'a [OpCount], run_s: u64, rss: Option<Rss>) -> Facts<'a> {
    Facts {
        run: Duration::from_secs(run_s),
        requests: 1000,
        server_errors: 0,
        child_exit: None,
        operations,
        rss,
    }
}

#[test]
fn warmup_is_a_fifth_of_the_run_at_most_five_minutes() {
    let c = Criterion::default();
    for (run, warm) in [(1800, 300), (3600, 300), (600, 120), (20, 4)] {
        assert_eq!(
            c.warmup(Duration::from_secs(run)),
            Duration::from_secs(warm),
            "{run} s"
        );
    }
}

#[test]
fn the_rss_limit_is_ten_percent_or_four_mib() {
    let c = Criterion::default();
    assert!((c.rss_limit(100.0) - 110.0).abs() < 1e-9);
    assert!((c.rss_limit(20.0) - 24.0).abs() < 1e-9);
    assert!((c.rss_limit(40.0) - 44.0).abs() < 1e-9);
}

#[test]
fn a_clean_long_run_passes() {
    let ops = ops(5);
    let v = Criterion::default().judge(&facts(&ops, 1800, Some(rss(50.0, 54.9))));
    assert!(v.pass, "{v:?}");
    assert!(v.reasons.is_empty());
    assert!(
        v.line.starts_with("PASS: 0 5xx in 1000 requests"),
        "{}",
        v.line
    );
    assert!(v.line.contains("limit 55.0 MiB"), "{}", v.line);
}

#[test]
fn memory_growth_past_the_limit_fails_a_long_run() {
    let ops = ops(5);
    let v = Criterion::default().judge(&facts(&ops, 1800, Some(rss(50.0, 55.1))));
    assert!(!v.pass);
    assert_eq!(v.reasons.len(), 1, "{:?}", v.reasons);
    assert!(v.line.starts_with("FAIL: RSS grew"), "{}", v.line);
}

#[test]
fn memory_is_not_judged_on_a_short_run() {
    let ops = ops(5);
    let v = Criterion::default().judge(&facts(&ops, 299, Some(rss(50.0, 80.0))));
    assert!(v.pass, "{v:?}");
    assert!(v.line.contains("not judged"), "{}", v.line);
    let v = Criterion::default().judge(&facts(&ops, 300, Some(rss(50.0, 80.0))));
    assert!(!v.pass, "a five-minute run is judged");
}

#[test]
fn any_5xx_fails() {
    let ops = ops(5);
    let mut f = facts(&ops, 1800, Some(rss(50.0, 50.0)));
    f.server_errors = 1;
    let v = Criterion::default().judge(&f);
    assert!(!v.pass);
    assert_eq!(v.reasons, vec!["1 responses with a 5xx status".to_owned()]);
}

#[test]
fn the_child_dying_fails() {
    let ops = ops(5);
    let mut f = facts(&ops, 20, Some(rss(50.0, 50.0)));
    f.child_exit = Some("signal: 9 (SIGKILL)");
    let v = Criterion::default().judge(&f);
    assert!(!v.pass);
    assert!(
        v.line.contains("Charter exited during the run (signal: 9"),
        "{}",
        v.line
    );
}

#[test]
fn an_operation_that_never_succeeded_fails_the_run() {
    let ops = ops(0);
    let v = Criterion::default().judge(&facts(&ops, 20, Some(rss(50.0, 50.0))));
    assert!(!v.pass);
    assert_eq!(
        v.reasons,
        vec!["no revocation operation succeeded".to_owned()]
    );
}

#[test]
fn no_samples_fails() {
    let ops = ops(5);
    let v = Criterion::default().judge(&facts(&ops, 20, None));
    assert!(!v.pass);
}

#[test]
fn rss_figures_come_from_the_samples() {
    // 40 MiB at the start, a warm-up bump, then 2 MiB per hour.
    let mut samples = vec![sample(0.0, 40.0), sample(60.0, 47.0)];
    for i in 1..=10 {
        let t = 360.0 * f64::from(i);
        samples.push(sample(t, 45.0 + 2.0 * t / 3600.0));
    }
    let r = Rss::of(&samples, Duration::from_secs(300)).expect("samples");
    assert_eq!(r.start, 40.0);
    assert!((r.after_warmup - 45.2).abs() < 1e-9, "{r:?}");
    assert_eq!(r.max, 47.0);
    assert!((r.end - 47.0).abs() < 1e-9, "{r:?}");
    assert!((r.slope_mib_per_hour - 2.0).abs() < 1e-9, "{r:?}");
    assert_eq!(Rss::of(&[], Duration::ZERO), None);
    // A run cut short before the warm-up's end: the last sample stands in.
    let r = Rss::of(&samples[..2], Duration::from_secs(300)).expect("samples");
    assert_eq!(r.after_warmup, 47.0);
    assert_eq!(r.slope_mib_per_hour, 0.0);
    // The process died: its last samples read no memory and say nothing about it.
    samples.push(sample(4000.0, 0.0));
    let r = Rss::of(&samples, Duration::from_secs(300)).expect("samples");
    assert!((r.end - 47.0).abs() < 1e-9, "{r:?}");
    assert_eq!(Rss::of(&[sample(1.0, 0.0)], Duration::ZERO), None);
}

fn report() -> SoakReport {
    let operations = ops(5);
    let samples = vec![
        sample(0.0, 30.0),
        Sample {
            elapsed_s: 10.0,
            requests: 5000,
            server_errors: 0,
            other_errors: 3,
            rss_mib: 41.5,
            interval_requests: 5000,
            p99_ms: 12.346,
        },
        Sample {
            elapsed_s: 20.0,
            requests: 9000,
            server_errors: 0,
            other_errors: 4,
            rss_mib: 42.0,
            interval_requests: 4000,
            p99_ms: 9.0,
        },
    ];
    let criterion = Criterion::default();
    let rss = Rss::of(&samples, Duration::from_secs(4));
    let verdict = criterion.judge(&Facts {
        run: Duration::from_secs(20),
        requests: 9000,
        server_errors: 0,
        child_exit: None,
        operations: &operations,
        rss,
    });
    SoakReport {
        started_at: "2026-11-27T10:00:00Z".to_owned(),
        backend: "sqlite".to_owned(),
        profile: "release".to_owned(),
        machine: "2 cores, x86_64".to_owned(),
        concurrency: 16,
        settings: vec!["CHARTER_A=1".to_owned(), "CHARTER_B=2s".to_owned()],
        planned_s: 20.0,
        elapsed_s: 20.0,
        sample_every_s: 10.0,
        warmup_s: 4.0,
        requests: 9000,
        server_errors: 0,
        failures: Failures {
            statuses: BTreeMap::from([(429, 3)]),
            transport: 1,
            other: 0,
            first: vec!["POST /login: expected 303, got 429 Too Many Requests `busy`".to_owned()],
        },
        operations,
        child_exit: None,
        rss,
        samples,
        criterion,
        verdict,
    }
}

#[test]
fn markdown_has_the_verdict_the_summary_and_the_series() {
    let md = report().markdown();
    assert!(
        md.contains("**PASS: 0 5xx in 9000 requests; RSS 41.5 MiB after warm-up"),
        "{md}"
    );
    assert!(
        md.contains("Charter settings: `CHARTER_A=1` `CHARTER_B=2s`"),
        "{md}"
    );
    assert!(md.contains("| requests | 9000 (450/s) |"), "{md}");
    assert!(md.contains("| other failed operations | 4 |"), "{md}");
    assert!(md.contains("| … with status 429 | 3 |"), "{md}");
    assert!(md.contains("| RSS at start | 30.0 MiB |"), "{md}");
    assert!(md.contains("| RSS max | 42.0 MiB |"), "{md}");
    assert!(md.contains("| revocation | 5 | 1 |"), "{md}");
    assert!(
        md.contains("| 10 | 5000 | 500 | 12.35 | 0 | 3 | 41.5 |"),
        "{md}"
    );
    assert!(
        md.contains("| 20 | 9000 | 400 | 9.00 | 0 | 4 | 42.0 |"),
        "{md}"
    );
    // Backticks in an error message would end the code span early.
    assert!(
        md.contains("- `POST /login: expected 303, got 429 Too Many Requests 'busy'`"),
        "{md}"
    );
}

#[test]
fn the_summary_and_the_json_carry_the_same_figures() {
    let r = report();
    let summary = r.summary();
    assert!(
        summary.contains("9000 requests, 0 5xx, 4 other failed operations"),
        "{summary}"
    );
    assert!(
        summary.contains("start 30.0, after warm-up 41.5, max 42.0, end 42.0"),
        "{summary}"
    );
    assert!(
        summary
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("PASS")),
        "{summary}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&serde_json::to_string(&r).expect("JSON")).expect("parsed");
    assert_eq!(json["requests"], 9000);
    assert_eq!(json["verdict"]["pass"], true);
    assert_eq!(json["samples"].as_array().map(Vec::len), Some(3));
    assert_eq!(json["failures"]["statuses"]["429"], 3);
    assert_eq!(json["criterion"]["min_judged"], 300.0);
}

#[test]
fn the_report_is_written_as_markdown_and_json() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    report().write(dir.path()).expect("written");
    let md = std::fs::read_to_string(dir.path().join("soak.md")).expect("soak.md");
    assert!(md.starts_with("# Charter soak report"));
    let json = std::fs::read_to_string(dir.path().join("soak.json")).expect("soak.json");
    assert!(json.contains("\"verdict\""));
}
