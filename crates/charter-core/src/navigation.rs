//! Where Charter may send a browser after a sign-in: only somewhere on Charter itself (SPEC-CHECKLIST A6,
//! C23). A `return_to` is a relative path; anything that a browser could read as another origin is refused.

/// The path to go to, if `value` is a safe relative path on this server.
pub fn safe_return_to(value: &str) -> Option<&str> {
    let ok = value.starts_with('/')
        && !value.starts_with("//")
        && !value.starts_with("/\\")
        && value.len() <= 4096
        && !value.chars().any(|c| c.is_control() || c == '\\');
    ok.then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths() {
        let cases: &[(&str, bool)] = &[
            ("/account", true),
            ("/authorize/resume?id=abc", true),
            ("/", true),
            ("", false),
            ("account", false),
            ("//evil.example/x", false),
            ("/\\evil.example", false),
            ("https://evil.example", false),
            ("javascript:alert(1)", false),
            ("/a\nb", false),
            ("/a\\b", false),
        ];
        for (v, ok) in cases {
            assert_eq!(safe_return_to(v).is_some(), *ok, "{v:?}");
        }
    }
}
