//! Printing results (human text or `--json`) and failures (one line on standard error, an exit code).

use std::fmt::Display;

use serde::Serialize;

/// A failed command: its one-line message and exit code.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub exit_code: u8,
}

impl Failure {
    /// Bad configuration or usage: exit code 2.
    pub fn config(e: impl Display) -> Self {
        Self {
            message: e.to_string(),
            exit_code: 2,
        }
    }

    /// Anything else: exit code 1.
    pub fn runtime(e: impl Display) -> Self {
        Self {
            message: e.to_string(),
            exit_code: 1,
        }
    }
}

/// Prints `value` as JSON, or as the text `human` makes of it.
pub fn print<T: Serialize>(
    json: bool,
    value: &T,
    human: impl Fn(&T) -> String,
) -> Result<(), Failure> {
    if json {
        let text = serde_json::to_string_pretty(value).map_err(Failure::runtime)?;
        println!("{text}");
    } else {
        println!("{}", human(value));
    }
    Ok(())
}

/// `key: value` lines for human output, skipping nulls and flattening arrays.
pub fn key_values(value: &serde_json::Value) -> String {
    let Some(map) = value.as_object() else {
        return value.to_string();
    };
    let width = map.keys().map(String::len).max().unwrap_or(0);
    map.iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| {
            let shown = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Array(a) => a
                    .iter()
                    .map(|x| {
                        x.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| x.to_string())
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
                other => other.to_string(),
            };
            format!("{k:width$}  {shown}")
        })
        .collect::<Vec<_>>()
        .join("\n")
}
