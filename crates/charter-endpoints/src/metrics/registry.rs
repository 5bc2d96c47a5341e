//! A small in-process metrics registry rendered in the Prometheus text exposition format (version 0.0.4).
//!
//! One registry per application (it lives in `AppState`), not a process-global recorder: the test suite runs
//! many applications in one process, and each must count only its own requests. Counters and histograms are
//! kept in a mutex-guarded map; a request touches it once, for a few hundred nanoseconds.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Label pairs, in the order given (each metric always passes the same names in the same order).
pub type Labels = Vec<(&'static str, String)>;

/// Upper bounds of the latency histogram, in seconds.
pub const LATENCY_BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Clone, Default)]
struct Histogram {
    /// Count per bucket (not cumulative; summed when rendered), the last one being `+Inf`.
    buckets: [u64; LATENCY_BUCKETS.len() + 1],
    sum: f64,
    count: u64,
}

#[derive(Debug, Default)]
struct Families {
    counters: BTreeMap<&'static str, BTreeMap<Labels, u64>>,
    histograms: BTreeMap<&'static str, BTreeMap<Labels, Histogram>>,
}

/// Counters and histograms, with their help texts.
#[derive(Debug, Default)]
pub struct Registry {
    families: Mutex<Families>,
    help: Mutex<BTreeMap<&'static str, &'static str>>,
}

impl Registry {
    /// Names a metric's help text (shown as `# HELP`).
    pub fn describe(&self, name: &'static str, help: &'static str) {
        if let Ok(mut h) = self.help.lock() {
            h.insert(name, help);
        }
    }

    /// Adds `by` to a counter (creating it at 0 first, so `by = 0` makes a series visible before it moves).
    pub fn add(&self, name: &'static str, labels: Labels, by: u64) {
        if let Ok(mut f) = self.families.lock() {
            *f.counters
                .entry(name)
                .or_default()
                .entry(labels)
                .or_default() += by;
        }
    }

    /// Records one observation in a histogram with [`LATENCY_BUCKETS`].
    pub fn observe(&self, name: &'static str, labels: Labels, value: f64) {
        if let Ok(mut f) = self.families.lock() {
            let h = f
                .histograms
                .entry(name)
                .or_default()
                .entry(labels)
                .or_default();
            let i = LATENCY_BUCKETS
                .iter()
                .position(|b| value <= *b)
                .unwrap_or(LATENCY_BUCKETS.len());
            h.buckets[i] += 1;
            h.sum += value;
            h.count += 1;
        }
    }

    /// The current value of a counter (0 when never touched).
    pub fn counter(&self, name: &str, labels: &[(&str, &str)]) -> u64 {
        let Ok(f) = self.families.lock() else {
            return 0;
        };
        f.counters
            .get(name)
            .and_then(|series| {
                series.iter().find(|(l, _)| {
                    l.len() == labels.len()
                        && l.iter()
                            .zip(labels)
                            .all(|((k, v), (k2, v2))| k == k2 && v == v2)
                })
            })
            .map_or(0, |(_, n)| *n)
    }

    /// Every counter and histogram in the text format.
    pub fn render(&self, out: &mut String) {
        let help = self.help.lock().map(|h| h.clone()).unwrap_or_default();
        let Ok(f) = self.families.lock() else {
            return;
        };
        for (name, series) in &f.counters {
            header(out, name, help.get(name).copied(), "counter");
            for (labels, n) in series {
                sample(out, name, labels, None, &n.to_string());
            }
        }
        for (name, series) in &f.histograms {
            header(out, name, help.get(name).copied(), "histogram");
            for (labels, h) in series {
                let bucket = format!("{name}_bucket");
                let mut cumulative = 0;
                for (i, n) in h.buckets.iter().enumerate() {
                    cumulative += n;
                    let le = LATENCY_BUCKETS
                        .get(i)
                        .map_or_else(|| "+Inf".to_owned(), |b| b.to_string());
                    sample(out, &bucket, labels, Some(&le), &cumulative.to_string());
                }
                sample(
                    out,
                    &format!("{name}_sum"),
                    labels,
                    None,
                    &h.sum.to_string(),
                );
                sample(
                    out,
                    &format!("{name}_count"),
                    labels,
                    None,
                    &h.count.to_string(),
                );
            }
        }
    }
}

/// `# HELP` and `# TYPE` lines.
pub fn header(out: &mut String, name: &str, help: Option<&str>, kind: &str) {
    if let Some(help) = help {
        let _ = writeln!(
            out,
            "# HELP {name} {}",
            help.replace('\\', "\\\\").replace('\n', "\\n")
        );
    }
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// One sample line; `le` is a histogram bucket's bound, appended to the labels.
pub fn sample(out: &mut String, name: &str, labels: &Labels, le: Option<&str>, value: &str) {
    out.push_str(name);
    let mut pairs: Vec<(&str, &str)> = labels.iter().map(|(k, v)| (*k, v.as_str())).collect();
    if let Some(le) = le {
        pairs.push(("le", le));
    }
    if !pairs.is_empty() {
        out.push('{');
        for (i, (k, v)) in pairs.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{k}=\"{}\"", escape(v));
        }
        out.push('}');
    }
    let _ = writeln!(out, " {value}");
}

/// Label values escape backslash, double quote and newline.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_render_with_help_type_and_escaped_labels() {
        let r = Registry::default();
        r.describe("x_total", "Things.");
        r.add("x_total", vec![("route", "/a\"b".into())], 2);
        r.add("x_total", vec![("route", "/a\"b".into())], 1);
        assert_eq!(r.counter("x_total", &[("route", "/a\"b")]), 3);
        assert_eq!(r.counter("x_total", &[("route", "/c")]), 0);
        let mut out = String::new();
        r.render(&mut out);
        assert_eq!(
            out,
            "# HELP x_total Things.\n# TYPE x_total counter\nx_total{route=\"/a\\\"b\"} 3\n"
        );
    }

    #[test]
    fn histograms_are_cumulative() {
        let r = Registry::default();
        r.observe("d_seconds", vec![], 0.003);
        r.observe("d_seconds", vec![], 0.2);
        r.observe("d_seconds", vec![], 60.0);
        let mut out = String::new();
        r.render(&mut out);
        assert!(out.contains("d_seconds_bucket{le=\"0.005\"} 1\n"), "{out}");
        assert!(out.contains("d_seconds_bucket{le=\"0.1\"} 1\n"), "{out}");
        assert!(out.contains("d_seconds_bucket{le=\"0.25\"} 2\n"), "{out}");
        assert!(out.contains("d_seconds_bucket{le=\"10\"} 2\n"), "{out}");
        assert!(out.contains("d_seconds_bucket{le=\"+Inf\"} 3\n"), "{out}");
        assert!(out.contains("d_seconds_count 3\n"), "{out}");
    }
}
