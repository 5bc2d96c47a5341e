//! The stylesheet: self-contained, keyboard focus visible, and colour contrast at WCAG 2.2 AA (1.4.3 text
//! 4.5:1, 1.4.11 non-text 3:1) in both the light and the dark scheme.

use crate::CSS;

/// The `--name: #rrggbb;` custom properties of one scheme.
fn palette(block: &str) -> Vec<(&str, &str)> {
    block
        .lines()
        .filter_map(|line| {
            let (name, value) = line.trim().strip_prefix("--")?.split_once(':')?;
            Some((name, value.trim().strip_suffix(';')?))
        })
        .collect()
}

fn schemes() -> [(&'static str, Vec<(&'static str, &'static str)>); 2] {
    let (light, dark) = CSS
        .split_once("@media (prefers-color-scheme: dark)")
        .expect("a dark scheme");
    let dark = dark.split_once("\n}\n").expect("end of the dark scheme").0;
    [("light", palette(light)), ("dark", palette(dark))]
}

fn colour<'a>(palette: &[(&str, &'a str)], name: &str) -> &'a str {
    palette
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| *v)
        .unwrap_or_else(|| panic!("--{name} missing"))
}

/// WCAG relative luminance of `#rrggbb`.
fn luminance(hex: &str) -> f64 {
    let channel = |i: usize| {
        let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).expect("hex colour")) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
}

fn contrast(a: &str, b: &str) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[test]
fn contrast_meets_wcag_aa() {
    let text = [
        ("text", "bg"),
        ("text", "surface"),
        ("muted", "bg"),
        ("muted", "surface"),
        ("accent", "surface"),
        ("on-accent", "accent"),
        ("on-danger", "danger"),
        ("error-text", "error-bg"),
        ("notice-text", "notice-bg"),
        ("warning-text", "warning-bg"),
    ];
    let non_text = [
        ("border", "surface"),
        ("border", "bg"),
        ("focus", "surface"),
        ("focus", "bg"),
        ("danger", "surface"),
    ];
    for (scheme, palette) in schemes() {
        for (pairs, minimum) in [(&text[..], 4.5), (&non_text[..], 3.0)] {
            for (fg, bg) in pairs {
                let ratio = contrast(colour(&palette, fg), colour(&palette, bg));
                assert!(
                    ratio >= minimum,
                    "{scheme}: --{fg} on --{bg} is {ratio:.2}:1, below {minimum}:1"
                );
            }
        }
    }
}

#[test]
fn contrast_formula() {
    assert!((contrast("#000000", "#ffffff") - 21.0).abs() < 1e-9);
    assert!((contrast("#777777", "#777777") - 1.0).abs() < 1e-9);
}

#[test]
fn self_contained() {
    for forbidden in [
        "url(",
        "@import",
        "http:",
        "https:",
        "expression(",
        "@font-face",
    ] {
        assert!(!CSS.contains(forbidden), "{forbidden}");
    }
}

#[test]
fn focus_is_visible_and_targets_are_tappable() {
    assert!(CSS.contains(":focus-visible {\n  outline: 3px solid var(--focus);"));
    assert!(!CSS.contains("outline: none") && !CSS.contains("outline: 0"));
    assert!(CSS.contains("min-height: 2.75rem"), "44px targets");
    assert!(CSS.contains("button.danger"));
    assert!(CSS.contains("max-width: 28rem"));
    assert!(CSS.contains("font-family: system-ui"));
}

#[test]
fn served_path() {
    assert_eq!(crate::CSS_PATH, "/static/charter.css");
}
