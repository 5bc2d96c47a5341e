//! Opening the database: the data directory, the connection (retried with backoff while the database comes
//! up, for `serve`), and the migrations.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use charter_core::StoreError;
use charter_storage::{ConnectOptions, SeaStore};

use crate::settings::{DatabaseKind, Settings};

/// Creates the data directory, and the directory of a SQLite file given by URL.
pub fn prepare_directories(settings: &Settings) -> Result<(), String> {
    let mut dirs = vec![settings.data_dir.clone()];
    if settings.database.kind == DatabaseKind::Sqlite
        && let Some(parent) =
            sqlite_path(&settings.database.url).and_then(|p| p.parent().map(PathBuf::from))
        && !parent.as_os_str().is_empty()
    {
        dirs.push(parent);
    }
    for dir in dirs {
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create the directory {}: {e}", dir.display()))?;
    }
    Ok(())
}

/// The file path of a `sqlite:` URL (`sqlite://rel/x.db`, `sqlite:///abs/x.db?mode=rwc`); None for in-memory.
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| PathBuf::from(path))
}

fn connect_options(settings: &Settings) -> ConnectOptions {
    let db = &settings.database;
    ConnectOptions {
        url: db.url.clone(),
        max_connections: db.max_connections,
        connect_timeout: db.connect_timeout,
        sqlite_busy_timeout: db.sqlite_busy_timeout,
    }
}

/// The URL with any password replaced, for messages.
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Connects once and migrates (administrative commands).
pub async fn open(settings: &Settings) -> Result<SeaStore, String> {
    prepare_directories(settings)?;
    let store = SeaStore::connect(&connect_options(settings))
        .await
        .map_err(|e| {
            format!(
                "cannot open the database at {}: {e}",
                redacted(&settings.database.url)
            )
        })?;
    store
        .migrate()
        .await
        .map_err(|e| format!("cannot migrate the database: {e}"))?;
    Ok(store)
}

/// Connects, retrying an unreachable database with exponential backoff for `database.startup_timeout`, then
/// migrates (`serve`).
pub async fn open_with_retry(settings: &Settings) -> Result<SeaStore, String> {
    prepare_directories(settings)?;
    let deadline = Instant::now() + settings.database.startup_timeout;
    let mut delay = Duration::from_millis(200);
    let url = redacted(&settings.database.url);
    let store = loop {
        match SeaStore::connect(&connect_options(settings)).await {
            Ok(store) => break store,
            Err(StoreError::Unavailable(cause)) if Instant::now() + delay < deadline => {
                tracing::warn!(database = %url, %cause, retry_in = ?delay, "the database is unreachable; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
            Err(e) => {
                return Err(format!(
                    "cannot reach the database at {url} (gave up after {}): {e}",
                    humantime::format_duration(settings.database.startup_timeout)
                ));
            }
        }
    };
    store
        .migrate()
        .await
        .map_err(|e| format!("cannot migrate the database: {e}"))?;
    Ok(store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths() {
        let cases: &[(&str, Option<&str>)] = &[
            (
                "sqlite://./data/charter.db?mode=rwc",
                Some("./data/charter.db"),
            ),
            (
                "sqlite:///abs/path/charter.db?mode=rwc",
                Some("/abs/path/charter.db"),
            ),
            ("sqlite:rel.db", Some("rel.db")),
            ("sqlite::memory:", None),
            ("postgres://x", None),
        ];
        for (url, path) in cases {
            assert_eq!(sqlite_path(url), path.map(PathBuf::from), "{url}");
        }
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redacted("postgres://u:pw@h/db"), "postgres://u:***@h/db");
        assert_eq!(redacted("sqlite://x.db"), "sqlite://x.db");
    }
}
