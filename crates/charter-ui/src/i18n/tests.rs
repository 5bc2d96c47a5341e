//! Language negotiation (OpenID Connect Core §3.1.2.1 `ui_locales`, RFC 9110 §12.5.4 `Accept-Language`).

use super::{Locale, parse_qvalue};

#[test]
fn defaults_to_english() {
    assert_eq!(Locale::negotiate(None, None), Locale::En);
    assert_eq!(Locale::negotiate(Some(""), Some("")), Locale::En);
    assert_eq!(
        Locale::negotiate(Some("de ja"), Some("de, ja;q=0.5")),
        Locale::En
    );
}

#[test]
fn ui_locales_in_preference_order() {
    let cases = [
        ("fr", Locale::Fr),
        ("fr-CA en", Locale::Fr),
        ("en fr", Locale::En),
        ("de fr-FR en", Locale::Fr),
        ("  de   FR  ", Locale::Fr),
        ("fr_BE", Locale::Fr),
        ("en-GB", Locale::En),
        ("fra", Locale::En),
        ("french", Locale::En),
    ];
    for (ui_locales, expected) in cases {
        assert_eq!(
            Locale::negotiate(Some(ui_locales), None),
            expected,
            "ui_locales={ui_locales:?}"
        );
    }
}

#[test]
fn ui_locales_win_over_accept_language() {
    assert_eq!(Locale::negotiate(Some("fr"), Some("en")), Locale::Fr);
    assert_eq!(Locale::negotiate(Some("en"), Some("fr")), Locale::En);
    // Nothing supported in ui_locales: the header decides.
    assert_eq!(Locale::negotiate(Some("de"), Some("fr")), Locale::Fr);
}

#[test]
fn accept_language_with_q_values() {
    let cases = [
        ("fr", Locale::Fr),
        ("fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7", Locale::Fr),
        ("en-US,en;q=0.9,fr;q=0.8", Locale::En),
        ("en;q=0.5, fr;q=0.8", Locale::Fr),
        ("de-DE, fr;q=0.3, en;q=0.2", Locale::Fr),
        ("fr;q=0, en;q=0.1", Locale::En),
        ("fr;q=0", Locale::En),
        ("en;q=0.5, fr;q=0.5", Locale::En),
        ("fr;q=0.5, en;q=0.5", Locale::Fr),
        ("FR-ca ; Q=0.7, de", Locale::Fr),
        ("*;q=0.9, fr;q=0.5", Locale::En),
        ("fr;q=abc, en;q=0.1", Locale::En),
        ("fr;q=1.5, en;q=0.1", Locale::En),
        (",,;;", Locale::En),
    ];
    for (header, expected) in cases {
        assert_eq!(
            Locale::negotiate(None, Some(header)),
            expected,
            "Accept-Language: {header}"
        );
    }
}

#[test]
fn qvalues() {
    assert_eq!(parse_qvalue("1"), Some(1000));
    assert_eq!(parse_qvalue("1.000"), Some(1000));
    assert_eq!(parse_qvalue("0"), Some(0));
    assert_eq!(parse_qvalue("0.5"), Some(500));
    assert_eq!(parse_qvalue("0.123"), Some(123));
    assert_eq!(parse_qvalue("0."), Some(0));
    for bad in ["1.5", "0.1234", "2", "-0.5", "", ".5", "0.a", "0.+5"] {
        assert_eq!(parse_qvalue(bad), None, "{bad:?}");
    }
}

#[test]
fn tags_and_strings() {
    assert_eq!(Locale::En.tag(), "en");
    assert_eq!(Locale::Fr.tag(), "fr");
    assert_eq!(Locale::default(), Locale::En);
    for locale in Locale::ALL {
        assert_eq!(Locale::from_tag(locale.tag()), Some(locale));
    }
    assert_eq!(Locale::En.strings().sign_in, "Sign in");
    assert_eq!(Locale::Fr.strings().sign_in, "Se connecter");
}

#[test]
fn the_unknown_scope_phrase_has_its_placeholder() {
    for locale in Locale::ALL {
        assert!(
            locale.strings().scope_other.contains("{scope}"),
            "{locale:?}"
        );
    }
}
