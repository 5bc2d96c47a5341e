//! The soak report: the samples taken during the run, the memory figures drawn from them, the verdict, and
//! their rendering as Markdown (`soak.md`), JSON (`soak.json`) and a few lines for the terminal.
//!
//! The verdict is a leak indicator, not a proof. After a warm-up — the first fifth of the run, at most five
//! minutes — Charter's caches, connection pool, hashing threads and allocator arenas have reached their size,
//! so resident memory should stay flat while the traffic stays the same: a leak shows as growth proportional to
//! the requests served. The run passes when no request got a 5xx, Charter is still running, every kind of
//! operation succeeded at least once (so the mix exercised what it claims), and RSS at the end is within
//! [`Criterion::growth`] (10 %) of RSS after the warm-up, or [`Criterion::slack_mib`] (4 MiB) if that is more:
//! the allocator keeps a few MiB of freed pages whatever the process size. Runs shorter than
//! [`Criterion::min_judged`] (5 minutes) are too short for memory to say anything; their RSS is reported but
//! not judged.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use serde::Serialize;

/// One sample, taken every `--sample-every`. Counts are cumulative since the start of the traffic, except
/// `interval_requests` and `p99_ms`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Sample {
    pub elapsed_s: f64,
    pub requests: u64,
    pub server_errors: u64,
    /// Operations that failed otherwise: a status other than the expected one (not 5xx), a broken connection
    /// or a timeout, an answer without what it should carry.
    pub other_errors: u64,
    /// Resident memory of the Charter process, in MiB; 0 when the process was gone.
    pub rss_mib: f64,
    pub interval_requests: u64,
    /// Request latency over the interval.
    pub p99_ms: f64,
}

/// Successes and failures of one kind of operation.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OpCount {
    pub name: String,
    pub ok: u64,
    pub failed: u64,
}

/// Why operations failed, other than with a 5xx.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Failures {
    /// Unexpected statuses below 500, by status.
    pub statuses: BTreeMap<u16, u64>,
    /// Connections refused or broken, and operations without an answer within the timeout.
    pub transport: u64,
    /// Answers with the expected status but not the expected content.
    pub other: u64,
    /// The first few error messages, for a first look.
    pub first: Vec<String>,
}

/// Resident memory of the Charter process over the run, in MiB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Rss {
    /// After provisioning, before the traffic.
    pub start: f64,
    /// The first sample at or after the warm-up.
    pub after_warmup: f64,
    pub max: f64,
    pub end: f64,
    /// Least-squares slope over the samples after the warm-up, in MiB per hour.
    pub slope_mib_per_hour: f64,
}

impl Rss {
    /// The memory figures of `samples` (in time order, the first taken before the traffic); `None` without
    /// samples. Samples with an RSS of 0, taken when the process was already gone, are left out.
    pub fn of(samples: &[Sample], warmup: Duration) -> Option<Rss> {
        let samples: Vec<&Sample> = samples.iter().filter(|s| s.rss_mib > 0.0).collect();
        let first = samples.first()?;
        let last = samples.last()?;
        let warm = warmup.as_secs_f64();
        let after_warmup = samples
            .iter()
            .find(|s| s.elapsed_s >= warm)
            .unwrap_or(last)
            .rss_mib;
        let steady: Vec<(f64, f64)> = samples
            .iter()
            .filter(|s| s.elapsed_s >= warm)
            .map(|s| (s.elapsed_s / 3600.0, s.rss_mib))
            .collect();
        Some(Rss {
            start: first.rss_mib,
            after_warmup,
            max: samples.iter().map(|s| s.rss_mib).fold(0.0, f64::max),
            end: last.rss_mib,
            slope_mib_per_hour: slope(&steady),
        })
    }
}

/// The least-squares slope of `points` (0 with fewer than two distinct x).
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    if points.len() < 2 {
        return 0.0;
    }
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    if sxx > 0.0 { sxy / sxx } else { 0.0 }
}

/// The pass criterion (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Criterion {
    /// Allowed RSS growth from after the warm-up to the end, as a fraction of the former.
    pub growth: f64,
    /// Allowed growth in MiB when that is more than `growth` allows.
    pub slack_mib: f64,
    /// Shorter runs do not judge memory.
    #[serde(with = "secs")]
    pub min_judged: Duration,
    /// The warm-up is this fraction of the run ...
    pub warmup_fraction: f64,
    /// ... but at most this long.
    #[serde(with = "secs")]
    pub warmup_cap: Duration,
}

impl Default for Criterion {
    fn default() -> Self {
        Self {
            growth: 0.10,
            slack_mib: 4.0,
            min_judged: Duration::from_secs(5 * 60),
            warmup_fraction: 0.2,
            warmup_cap: Duration::from_secs(5 * 60),
        }
    }
}

mod secs {
    pub fn serialize<S: serde::Serializer>(
        d: &std::time::Duration,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }
}

impl Criterion {
    pub fn warmup(&self, run: Duration) -> Duration {
        run.mul_f64(self.warmup_fraction).min(self.warmup_cap)
    }

    /// The highest RSS at the end that passes, given RSS after the warm-up.
    pub fn rss_limit(&self, after_warmup: f64) -> f64 {
        after_warmup + (after_warmup * self.growth).max(self.slack_mib)
    }

    /// Judges a run of `run` (as long as planned: a run cut short by the child's exit fails anyway).
    pub fn judge(&self, facts: &Facts<'_>) -> Verdict {
        let mut reasons = Vec::new();
        if let Some(exit) = facts.child_exit {
            reasons.push(format!("Charter exited during the run ({exit})"));
        }
        if facts.server_errors > 0 {
            reasons.push(format!(
                "{} responses with a 5xx status",
                facts.server_errors
            ));
        }
        for op in facts.operations.iter().filter(|o| o.ok == 0) {
            reasons.push(format!("no {} operation succeeded", op.name));
        }
        let judged = facts.run >= self.min_judged;
        let memory = match facts.rss {
            None => {
                reasons.push("no memory samples".to_owned());
                "no memory samples".to_owned()
            }
            Some(rss) => {
                let limit = self.rss_limit(rss.after_warmup);
                let growth = percent(rss.end, rss.after_warmup);
                let said = format!(
                    "RSS {:.1} MiB after warm-up, {:.1} MiB at end ({growth:+.1} %, limit {limit:.1} MiB)",
                    rss.after_warmup, rss.end
                );
                if !judged {
                    format!(
                        "{said}, not judged: runs under {} s are too short",
                        self.min_judged.as_secs()
                    )
                } else if rss.end > limit {
                    reasons.push(format!(
                        "RSS grew from {:.1} MiB after warm-up to {:.1} MiB at end, over the limit of {limit:.1} MiB",
                        rss.after_warmup, rss.end
                    ));
                    said
                } else {
                    said
                }
            }
        };
        let pass = reasons.is_empty();
        let line = if pass {
            format!("PASS: 0 5xx in {} requests; {memory}", facts.requests)
        } else {
            format!("FAIL: {}; {memory}", reasons.join("; "))
        };
        Verdict {
            pass,
            reasons,
            line,
        }
    }
}

/// `a` relative to `b`, in percent (0 when `b` is 0).
fn percent(a: f64, b: f64) -> f64 {
    if b > 0.0 { (a / b - 1.0) * 100.0 } else { 0.0 }
}

/// What the verdict is drawn from.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub run: Duration,
    pub requests: u64,
    pub server_errors: u64,
    pub child_exit: Option<&'a str>,
    pub operations: &'a [OpCount],
    pub rss: Option<Rss>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub pass: bool,
    pub reasons: Vec<String>,
    /// One line: PASS or FAIL, and why.
    pub line: String,
}

/// Everything a soak run produced.
#[derive(Debug, Clone, Serialize)]
pub struct SoakReport {
    /// RFC 3339, UTC.
    pub started_at: String,
    pub backend: String,
    pub profile: String,
    pub machine: String,
    pub concurrency: usize,
    /// Charter's settings the soak sets (environment variables).
    pub settings: Vec<String>,
    pub planned_s: f64,
    pub elapsed_s: f64,
    pub sample_every_s: f64,
    pub warmup_s: f64,
    pub requests: u64,
    pub server_errors: u64,
    pub failures: Failures,
    pub operations: Vec<OpCount>,
    pub child_exit: Option<String>,
    pub rss: Option<Rss>,
    pub samples: Vec<Sample>,
    pub criterion: Criterion,
    pub verdict: Verdict,
}

impl SoakReport {
    pub fn other_errors(&self) -> u64 {
        self.failures.statuses.values().sum::<u64>() + self.failures.transport + self.failures.other
    }

    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# Charter soak report\n");
        let _ = writeln!(md, "**{}**\n", self.verdict.line);
        let _ = writeln!(
            md,
            "Started {} · {} · build profile `{}` · {} · {} connections · {:.0} s planned, {:.0} s run, \
             sampled every {:.0} s, warm-up {:.0} s\n",
            self.started_at,
            self.backend,
            self.profile,
            self.machine,
            self.concurrency,
            self.planned_s,
            self.elapsed_s,
            self.sample_every_s,
            self.warmup_s
        );
        if !self.settings.is_empty() {
            let _ = writeln!(md, "Charter settings: `{}`\n", self.settings.join("` `"));
        }
        let _ = writeln!(md, "## Summary\n");
        let _ = writeln!(md, "| figure | value |");
        let _ = writeln!(md, "|---|---:|");
        let rate = if self.elapsed_s > 0.0 {
            self.requests as f64 / self.elapsed_s
        } else {
            0.0
        };
        let _ = writeln!(md, "| requests | {} ({rate:.0}/s) |", self.requests);
        let _ = writeln!(md, "| 5xx responses | {} |", self.server_errors);
        let _ = writeln!(md, "| other failed operations | {} |", self.other_errors());
        for (status, n) in &self.failures.statuses {
            let _ = writeln!(md, "| … with status {status} | {n} |");
        }
        let _ = writeln!(
            md,
            "| … broken connections, timeouts | {} |",
            self.failures.transport
        );
        let _ = writeln!(md, "| … wrong content | {} |", self.failures.other);
        if let Some(r) = &self.rss {
            let _ = writeln!(md, "| RSS at start | {:.1} MiB |", r.start);
            let _ = writeln!(md, "| RSS after warm-up | {:.1} MiB |", r.after_warmup);
            let _ = writeln!(md, "| RSS max | {:.1} MiB |", r.max);
            let _ = writeln!(md, "| RSS at end | {:.1} MiB |", r.end);
            let _ = writeln!(
                md,
                "| RSS slope after warm-up | {:+.2} MiB/h |",
                r.slope_mib_per_hour
            );
        }
        if let Some(exit) = &self.child_exit {
            let _ = writeln!(md, "| Charter exited | {exit} |");
        }
        let _ = writeln!(md, "\n## Operations\n");
        let _ = writeln!(md, "| operation | ok | failed |");
        let _ = writeln!(md, "|---|---:|---:|");
        for o in &self.operations {
            let _ = writeln!(md, "| {} | {} | {} |", o.name, o.ok, o.failed);
        }
        if !self.failures.first.is_empty() {
            let _ = writeln!(md, "\nFirst errors:\n");
            for e in &self.failures.first {
                let _ = writeln!(md, "- `{}`", e.replace('`', "'"));
            }
        }
        let _ = writeln!(md, "\n## Over time\n");
        let _ = writeln!(
            md,
            "| elapsed s | requests | req/s | p99 ms | 5xx | other errors | RSS MiB |"
        );
        let _ = writeln!(md, "|---:|---:|---:|---:|---:|---:|---:|");
        let mut previous = 0.0;
        for s in &self.samples {
            let span = s.elapsed_s - previous;
            let rate = if span > 0.0 {
                s.interval_requests as f64 / span
            } else {
                0.0
            };
            previous = s.elapsed_s;
            let rss = if s.rss_mib > 0.0 {
                format!("{:.1}", s.rss_mib)
            } else {
                "gone".to_owned()
            };
            let _ = writeln!(
                md,
                "| {:.0} | {} | {rate:.0} | {:.2} | {} | {} | {rss} |",
                s.elapsed_s, s.requests, s.p99_ms, s.server_errors, s.other_errors
            );
        }
        let _ = writeln!(
            md,
            "\nPass criterion: no 5xx, Charter still running, every operation succeeded at least once, and RSS at \
             the end ≤ RSS after the warm-up + max({:.0} %, {:.0} MiB); memory is judged on runs of {} s or more.",
            self.criterion.growth * 100.0,
            self.criterion.slack_mib,
            self.criterion.min_judged.as_secs()
        );
        md
    }

    /// A few lines for the terminal.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "soak ({}, {}, {:.0} s): {} requests, {} 5xx, {} other failed operations",
            self.backend,
            self.profile,
            self.elapsed_s,
            self.requests,
            self.server_errors,
            self.other_errors()
        );
        if let Some(r) = &self.rss {
            let _ = writeln!(
                out,
                "RSS MiB: start {:.1}, after warm-up {:.1}, max {:.1}, end {:.1} ({:+.2} MiB/h after warm-up)",
                r.start, r.after_warmup, r.max, r.end, r.slope_mib_per_hour
            );
        }
        let _ = writeln!(out, "{}", self.verdict.line);
        out
    }

    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("soak.md"), self.markdown())?;
        std::fs::write(dir.join("soak.json"), serde_json::to_string_pretty(self)?)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
