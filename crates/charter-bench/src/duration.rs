//! Durations on the command line: anything humantime reads (`90s`, `30m`, `1h`, `1h30m`, `250ms`), or a bare
//! number of seconds (`10`, `0.5`) as `--seconds` has always accepted.

use std::time::Duration;

pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).map_err(|e| format!("{text:?}: {e}"));
    }
    humantime::parse_duration(text).map_err(|e| format!("{text:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_combinations() {
        let cases = [
            ("90s", 90.0),
            ("30m", 1800.0),
            ("1h", 3600.0),
            ("1h30m", 5400.0),
            ("2m 30s", 150.0),
            ("250ms", 0.25),
            ("10", 10.0),
            ("0.5", 0.5),
            (" 20s ", 20.0),
        ];
        for (text, secs) in cases {
            assert_eq!(parse(text), Ok(Duration::from_secs_f64(secs)), "{text}");
        }
    }

    #[test]
    fn nonsense_is_refused() {
        for text in ["", "m", "10x", "-5s", "-1", "s10", "inf", "NaN"] {
            assert!(parse(text).is_err(), "{text:?} was accepted");
        }
    }
}
