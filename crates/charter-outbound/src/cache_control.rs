//! `Cache-Control` of an answer (RFC 9111 §5.2.2): how long the fetched document may be reused. Callers clamp
//! the value into their own bounds.

use std::time::Duration;

use reqwest::header::{CACHE_CONTROL, HeaderMap};

/// `max-age` in seconds, zero for `no-store` or `no-cache`, `None` when the answer does not say.
pub fn max_age(headers: &HeaderMap) -> Option<Duration> {
    let mut max_age = None;
    for value in headers.get_all(CACHE_CONTROL) {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',') {
            let directive = directive.trim().to_ascii_lowercase();
            if directive == "no-store" || directive == "no-cache" {
                return Some(Duration::ZERO);
            }
            if let Some(Ok(secs)) = directive
                .strip_prefix("max-age=")
                .map(|s| s.trim_matches('"').parse::<u64>())
            {
                max_age = Some(Duration::from_secs(secs));
            }
        }
    }
    max_age
}

#[cfg(test)]
mod tests {
    use reqwest::header::HeaderValue;

    use super::*;

    fn headers(values: &[&'static str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(CACHE_CONTROL, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn directives() {
        let cases: &[(&[&'static str], Option<u64>)] = &[
            (&[], None),
            (&["public"], None),
            (&["max-age=300"], Some(300)),
            (&["public, Max-Age=60"], Some(60)),
            (&["max-age=\"120\""], Some(120)),
            (&["max-age=abc"], None),
            (&["max-age=300, no-cache"], Some(0)),
            (&["public", "no-store"], Some(0)),
            (&["s-maxage=10"], None),
        ];
        for (values, want) in cases {
            assert_eq!(
                max_age(&headers(values)),
                want.map(Duration::from_secs),
                "{values:?}"
            );
        }
    }
}
