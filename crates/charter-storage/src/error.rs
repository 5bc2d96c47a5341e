//! Turning sea-orm's `DbErr` into charter-core's [`StoreError`], in one place.
//!
//! - the database cannot be reached (connect failures, pool timeouts, I/O, a busy SQLite file, a PostgreSQL
//!   that is shutting down or full) -> [`StoreError::Unavailable`]: callers answer 503 and retry later;
//! - a unique constraint refused a write -> [`StoreError::Conflict`], naming what was duplicated;
//! - a value read back cannot be decoded -> [`StoreError::Corrupt`];
//! - anything else -> [`StoreError::Backend`].
//!
//! Messages come from the driver, which reports constraint and column names but never bound values, so no
//! secret or hash reaches them.

use std::fmt::Display;

use charter_core::StoreError;
use sea_orm::{DbErr, RuntimeErr, SqlErr, sqlx};

/// Maps an error from a statement that cannot violate a unique constraint (or where a violation would be a
/// bug rather than a conflict the caller can act on).
pub(crate) fn db_err(err: DbErr) -> StoreError {
    classify(err, |_| "row")
}

/// Maps an error from a write, naming what already exists when a unique constraint refused it.
pub(crate) fn conflict_as(what: &'static str) -> impl FnOnce(DbErr) -> StoreError {
    move |err| classify(err, |_| what)
}

/// Like [`conflict_as`], for tables with several unique keys: `name` picks what to call the duplicate from
/// the driver's message (which names the constraint or column).
pub(crate) fn conflict_by(name: fn(&str) -> &'static str) -> impl FnOnce(DbErr) -> StoreError {
    move |err| classify(err, name)
}

/// Like [`conflict_by`], for writes whose foreign keys name rows the caller just loaded: a missing parent is
/// a [`StoreError::Backend`] saying what does not exist (a bug or a race with a deletion, not a conflict the
/// caller can act on).
pub(crate) fn refused_as(
    missing: &'static str,
    name: fn(&str) -> &'static str,
) -> impl FnOnce(DbErr) -> StoreError {
    move |err| {
        if let Some(SqlErr::ForeignKeyConstraintViolation(_)) = err.sql_err() {
            return StoreError::Backend(format!("{missing} does not exist: {err}"));
        }
        classify(err, name)
    }
}

/// Encoding a value for a JSON column failed (only possible for a bug in a `Serialize` impl).
pub(crate) fn encode_err(what: &'static str) -> impl FnOnce(serde_json::Error) -> StoreError {
    move |e| StoreError::Backend(format!("encoding {what}: {e}"))
}

/// A stored value that does not parse back into its domain type.
pub(crate) fn corrupt(what: &'static str, detail: impl Display) -> StoreError {
    StoreError::Corrupt {
        what,
        detail: detail.to_string(),
    }
}

fn classify(err: DbErr, conflict: impl FnOnce(&str) -> &'static str) -> StoreError {
    if let Some(SqlErr::UniqueConstraintViolation(message)) = err.sql_err() {
        return StoreError::Conflict(conflict(&message));
    }
    match &err {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => StoreError::Unavailable(err.to_string()),
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            classify_sqlx(e, &err)
        }
        DbErr::Type(_) | DbErr::TryIntoErr { .. } | DbErr::Json(_) => StoreError::Corrupt {
            what: "row",
            detail: err.to_string(),
        },
        _ => StoreError::Backend(err.to_string()),
    }
}

fn classify_sqlx(e: &sqlx::Error, err: &DbErr) -> StoreError {
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(err.to_string()),
        sqlx::Error::Database(db) => {
            let sqlite = db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some();
            if is_unavailable(sqlite, db.code().as_deref()) {
                StoreError::Unavailable(err.to_string())
            } else {
                StoreError::Backend(err.to_string())
            }
        }
        sqlx::Error::ColumnDecode { .. }
        | sqlx::Error::Decode(_)
        | sqlx::Error::ColumnNotFound(_)
        | sqlx::Error::TypeNotFound { .. } => StoreError::Corrupt {
            what: "row",
            detail: err.to_string(),
        },
        _ => StoreError::Backend(err.to_string()),
    }
}

/// Error codes that mean "try again later" rather than "this statement is wrong".
fn is_unavailable(sqlite: bool, code: Option<&str>) -> bool {
    let Some(code) = code else { return false };
    if sqlite {
        // SQLite reports (extended) result codes as decimal numbers; the primary code is the low byte.
        const BUSY: u32 = 5;
        const LOCKED: u32 = 6;
        const IOERR: u32 = 10;
        const FULL: u32 = 13;
        const CANTOPEN: u32 = 14;
        return code
            .parse::<u32>()
            .is_ok_and(|n| matches!(n & 0xff, BUSY | LOCKED | IOERR | FULL | CANTOPEN));
    }
    // PostgreSQL SQLSTATEs: connection exceptions (08), insufficient resources (53: too many connections,
    // disk full), operator intervention (57P01..57P03: shutting down, cannot connect now).
    code.starts_with("08") || code.starts_with("53") || matches!(code, "57P01" | "57P02" | "57P03")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unavailable_codes() {
        const SQLITE: bool = true;
        const POSTGRES: bool = false;
        let cases: &[(bool, Option<&str>, bool)] = &[
            (SQLITE, Some("5"), true),
            (SQLITE, Some("773"), true), // SQLITE_BUSY_TIMEOUT
            (SQLITE, Some("6"), true),
            (SQLITE, Some("2067"), false), // SQLITE_CONSTRAINT_UNIQUE
            (SQLITE, Some("1"), false),
            (SQLITE, None, false),
            (POSTGRES, Some("08006"), true),
            (POSTGRES, Some("53300"), true),
            (POSTGRES, Some("57P01"), true),
            (POSTGRES, Some("23505"), false),
            (POSTGRES, Some("42P01"), false),
            (POSTGRES, None, false),
        ];
        for (sqlite, code, expected) in cases {
            assert_eq!(is_unavailable(*sqlite, *code), *expected, "{code:?}");
        }
    }

    #[test]
    fn pool_timeouts_are_unavailable() {
        let err = DbErr::ConnectionAcquire(sea_orm::ConnAcquireErr::Timeout);
        assert!(matches!(db_err(err), StoreError::Unavailable(_)));
    }
}
