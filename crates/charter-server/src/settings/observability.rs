//! `[metrics]` and `[audit]`: whether `/metrics` is served, and how long audit events are kept.

use std::time::Duration;

use super::raw::{RawAudit, RawMetrics};
use super::{ConfigError, duration};

/// `[metrics]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetricsSettings {
    /// Serve Prometheus metrics at `GET /metrics` (404 when off).
    pub enabled: bool,
}

/// `[audit]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditSettings {
    /// Audit events older than this are deleted by the sweeper.
    pub retention: Duration,
}

pub(crate) fn metrics(raw: &RawMetrics) -> MetricsSettings {
    MetricsSettings {
        enabled: raw.enabled,
    }
}

/// Retention is at least one day: a shorter trail would be gone before anyone looked.
pub(crate) fn audit(raw: &RawAudit) -> Result<AuditSettings, ConfigError> {
    let retention = duration("audit.retention", &raw.retention)?;
    if retention < Duration::from_secs(24 * 3600) {
        return Err(ConfigError::new("audit.retention", "must be at least 1d"));
    }
    Ok(AuditSettings { retention })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_bounds() {
        let ok = audit(&RawAudit {
            retention: "90d".into(),
        })
        .unwrap();
        assert_eq!(ok.retention, Duration::from_secs(90 * 24 * 3600));
        for bad in ["12h", "forever", ""] {
            let err = audit(&RawAudit {
                retention: bad.into(),
            })
            .unwrap_err();
            assert!(err.to_string().contains("audit.retention"), "{bad}: {err}");
        }
    }
}
