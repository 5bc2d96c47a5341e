//! Languages: which one a page is shown in, and the words of each.
//!
//! [`Locale::negotiate`] honours the `ui_locales` authorization parameter first (OpenID Connect Core 1.0
//! §3.1.2.1: space-separated BCP 47 tags, most preferred first), then the browser's `Accept-Language` header
//! (RFC 9110 §12.5.4, with q-values), and falls back to English. Tags match on their primary subtag, so `fr-CA`
//! gets French.
//!
//! Every [`Strings`] field must be filled for every language: a missing translation is a compile error.

mod en;
mod fr;
mod strings;
#[cfg(test)]
mod tests;

pub use strings::Strings;

/// A language Charter's pages are translated into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Locale {
    /// English, the default.
    #[default]
    En,
    /// French.
    Fr,
}

impl Locale {
    /// Every supported locale, default first.
    pub const ALL: [Locale; 2] = [Locale::En, Locale::Fr];

    /// Picks the page language: the first supported tag of `ui_locales`, else the best supported language of
    /// `Accept-Language`, else English.
    pub fn negotiate(ui_locales: Option<&str>, accept_language: Option<&str>) -> Locale {
        ui_locales
            .and_then(|tags| tags.split_whitespace().find_map(Locale::from_tag))
            .or_else(|| accept_language.and_then(from_accept_language))
            .unwrap_or_default()
    }

    /// The locale of a BCP 47 tag, matched on its primary subtag (`fr`, `fr-FR`, `FR_ca`), if supported.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let primary = tag.split(['-', '_']).next().unwrap_or(tag);
        if primary.eq_ignore_ascii_case("en") {
            Some(Locale::En)
        } else if primary.eq_ignore_ascii_case("fr") {
            Some(Locale::Fr)
        } else {
            None
        }
    }

    /// The language tag for `<html lang>` and the `Content-Language` header.
    pub fn tag(self) -> &'static str {
        self.strings().lang
    }

    /// The words of this locale.
    pub fn strings(self) -> &'static Strings {
        match self {
            Locale::En => &en::EN,
            Locale::Fr => &fr::FR,
        }
    }
}

/// The supported language with the highest q-value in an `Accept-Language` header; the earliest wins a tie.
/// `*` stands for the default language. Entries with `q=0` ("not acceptable") or a malformed q-value are skipped.
fn from_accept_language(header: &str) -> Option<Locale> {
    let mut best: Option<(u16, Locale)> = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let Some(q) = parts.find_map(|p| {
            let (k, v) = p.split_once('=')?;
            k.trim()
                .eq_ignore_ascii_case("q")
                .then(|| parse_qvalue(v.trim()))
        }) else {
            // No q parameter: weight 1.
            consider(&mut best, tag, 1000);
            continue;
        };
        if let Some(q) = q {
            consider(&mut best, tag, q);
        }
    }
    best.map(|(_, locale)| locale)
}

fn consider(best: &mut Option<(u16, Locale)>, tag: &str, q: u16) {
    if q == 0 {
        return;
    }
    let locale = if tag == "*" {
        Some(Locale::default())
    } else {
        Locale::from_tag(tag)
    };
    if let Some(locale) = locale
        && best.is_none_or(|(b, _)| q > b)
    {
        *best = Some((q, locale));
    }
}

/// An RFC 9110 §12.4.2 qvalue in thousandths: `0`, `0.5`, `1.000`; anything else is `None`.
fn parse_qvalue(v: &str) -> Option<u16> {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{frac:0<3}").parse::<u16>().ok()?;
    match int {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}
