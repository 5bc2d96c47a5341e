//! Scopes in plain words, for the consent and account pages (RFC 9700 §4.15 asks that users understand what
//! they grant). The standard OpenID Connect scopes (Core §5.4, §11 for `offline_access`) have their own phrase;
//! any other scope is shown by name.

use crate::Strings;

/// A sentence saying what `scope` lets an application do, in the language of `t`. The result is plain text:
/// templates escape it like any other value.
pub fn describe_scope(t: &Strings, scope: &str) -> String {
    match scope {
        "openid" => t.scope_openid.to_owned(),
        "profile" => t.scope_profile.to_owned(),
        "email" => t.scope_email.to_owned(),
        "address" => t.scope_address.to_owned(),
        "phone" => t.scope_phone.to_owned(),
        "offline_access" => t.scope_offline_access.to_owned(),
        other => t.scope_other.replacen("{scope}", other, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::describe_scope;
    use crate::Locale;

    #[test]
    fn standard_scopes_have_words() {
        let t = Locale::En.strings();
        assert_eq!(describe_scope(t, "email"), "See your email address");
        assert_eq!(describe_scope(t, "openid"), t.scope_openid);
        assert_eq!(describe_scope(t, "offline_access"), t.scope_offline_access);
        for scope in [
            "openid",
            "profile",
            "email",
            "address",
            "phone",
            "offline_access",
        ] {
            assert!(
                !describe_scope(t, scope).starts_with("Access to"),
                "{scope} should be in plain words"
            );
        }
    }

    #[test]
    fn unknown_scopes_are_named() {
        assert_eq!(
            describe_scope(Locale::En.strings(), "calendar.read"),
            "Access to calendar.read"
        );
        assert_eq!(
            describe_scope(Locale::Fr.strings(), "calendar.read"),
            "Accès à calendar.read"
        );
        // A scope that looks like the placeholder is not expanded twice.
        assert_eq!(
            describe_scope(Locale::En.strings(), "{scope}"),
            "Access to {scope}"
        );
    }

    #[test]
    fn french_words() {
        assert_eq!(
            describe_scope(Locale::Fr.strings(), "phone"),
            "Voir votre numéro de téléphone"
        );
    }
}
