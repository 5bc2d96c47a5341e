//! The report: one row per measurement, targets judged against the floors of the same run, written as
//! Markdown (`report.md`) and JSON (`report.json`).

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::load::Stats;

/// One load measurement.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub backend: String,
    pub scenario: String,
    pub concurrency: usize,
    pub ops: u64,
    pub errors: u64,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Server CPU seconds over the run (warm-up included).
    pub server_cpu_s: f64,
    pub first_error: Option<String>,
}

impl Row {
    pub fn new(backend: &str, scenario: &str, concurrency: usize, stats: &Stats, cpu: f64) -> Self {
        Self {
            backend: backend.to_owned(),
            scenario: scenario.to_owned(),
            concurrency,
            ops: stats.ops,
            errors: stats.errors,
            per_second: stats.per_second(),
            p50_ms: stats.quantile_ms(0.50),
            p99_ms: stats.quantile_ms(0.99),
            server_cpu_s: cpu,
            first_error: stats.first_error.clone(),
        }
    }
}

/// A single figure that is not a load run (start-up time, memory, hash cost).
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub backend: String,
    pub name: String,
    pub value: f64,
    pub unit: String,
}

/// A target of the performance issue, judged.
#[derive(Debug, Clone, Serialize)]
pub struct Target {
    pub backend: String,
    pub name: String,
    pub measured: f64,
    pub required: f64,
    /// `true` when a bigger measured value is better.
    pub at_least: bool,
    pub unit: String,
    pub met: bool,
}

impl Target {
    pub fn at_least(backend: &str, name: &str, measured: f64, required: f64, unit: &str) -> Self {
        Self {
            backend: backend.to_owned(),
            name: name.to_owned(),
            measured,
            required,
            at_least: true,
            unit: unit.to_owned(),
            met: measured >= required,
        }
    }

    pub fn at_most(backend: &str, name: &str, measured: f64, required: f64, unit: &str) -> Self {
        Self {
            backend: backend.to_owned(),
            name: name.to_owned(),
            measured,
            required,
            at_least: false,
            unit: unit.to_owned(),
            met: measured <= required,
        }
    }
}

#[derive(Debug, Default, Serialize)]
pub struct Report {
    pub mode: String,
    pub machine: String,
    pub profile: String,
    pub rows: Vec<Row>,
    pub figures: Vec<Figure>,
    pub targets: Vec<Target>,
    pub notes: Vec<String>,
}

impl Report {
    pub fn figure(&mut self, backend: &str, name: &str, value: f64, unit: &str) {
        self.figures.push(Figure {
            backend: backend.to_owned(),
            name: name.to_owned(),
            value,
            unit: unit.to_owned(),
        });
    }

    pub fn row(&self, backend: &str, scenario: &str) -> Option<&Row> {
        self.rows
            .iter()
            .find(|r| r.backend == backend && r.scenario == scenario)
    }

    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let _ = writeln!(md, "# Charter benchmark report\n");
        let _ = writeln!(
            md,
            "Mode: **{}** · build profile: `{}` · machine: {}\n",
            self.mode, self.profile, self.machine
        );
        let _ = writeln!(md, "## Load\n");
        let _ = writeln!(
            md,
            "| backend | scenario | conc. | ops/s | p50 ms | p99 ms | errors | server CPU s |"
        );
        let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|---:|");
        for r in &self.rows {
            let _ = writeln!(
                md,
                "| {} | {} | {} | {:.0} | {:.2} | {:.2} | {} | {:.1} |",
                r.backend,
                r.scenario,
                r.concurrency,
                r.per_second,
                r.p50_ms,
                r.p99_ms,
                r.errors,
                r.server_cpu_s
            );
        }
        let errors: Vec<&Row> = self
            .rows
            .iter()
            .filter(|r| r.first_error.is_some())
            .collect();
        if !errors.is_empty() {
            let _ = writeln!(md, "\nFirst error of each scenario with errors:\n");
            for r in errors {
                let _ = writeln!(
                    md,
                    "- {} / {}: `{}`",
                    r.backend,
                    r.scenario,
                    r.first_error.as_deref().unwrap_or_default()
                );
            }
        }
        let _ = writeln!(md, "\n## Other figures\n");
        let _ = writeln!(md, "| backend | figure | value |");
        let _ = writeln!(md, "|---|---|---:|");
        for f in &self.figures {
            let _ = writeln!(
                md,
                "| {} | {} | {:.2} {} |",
                f.backend, f.name, f.value, f.unit
            );
        }
        let _ = writeln!(md, "\n## Targets\n");
        if self.mode == "smoke" {
            let _ = writeln!(
                md,
                "Smoke mode checks that the harness works; its numbers are too short to judge targets.\n"
            );
        }
        let _ = writeln!(md, "| backend | target | measured | required | met |");
        let _ = writeln!(md, "|---|---|---:|---:|---|");
        for t in &self.targets {
            let _ = writeln!(
                md,
                "| {} | {} | {:.2} {} | {} {:.2} {} | {} |",
                t.backend,
                t.name,
                t.measured,
                t.unit,
                if t.at_least { "≥" } else { "≤" },
                t.required,
                t.unit,
                if t.met { "yes" } else { "**no**" }
            );
        }
        if !self.notes.is_empty() {
            let _ = writeln!(md, "\n## Notes\n");
            for n in &self.notes {
                let _ = writeln!(md, "- {n}");
            }
        }
        md
    }

    pub fn write(&self, dir: &Path) -> anyhow::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("report.md"), self.markdown())?;
        std::fs::write(dir.join("report.json"), serde_json::to_string_pretty(self)?)?;
        Ok(())
    }
}
