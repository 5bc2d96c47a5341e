//! Scopes (RFC 6749 §3.3): a space-delimited set of case-sensitive scope tokens.
//!
//! `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`: printable ASCII without space, `"` and `\`.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InvalidScope {
    #[error("a scope token is not empty")]
    Empty,
    #[error(
        "scope token {0:?} has a character outside RFC 6749 §3.3 (printable ASCII without space, '\"', '\\\\')"
    )]
    BadCharacter(String),
    #[error("a scope token has at most 128 characters")]
    TooLong,
}

/// One scope token.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Scope(String);

impl Scope {
    pub const MAX_LEN: usize = 128;

    pub fn parse(s: &str) -> Result<Self, InvalidScope> {
        if s.is_empty() {
            return Err(InvalidScope::Empty);
        }
        if s.len() > Self::MAX_LEN {
            return Err(InvalidScope::TooLong);
        }
        let ok = s
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b));
        if !ok {
            return Err(InvalidScope::BadCharacter(s.to_owned()));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Scope {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scope({:?})", self.0)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Scope {
    type Error = InvalidScope;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Scope> for String {
    fn from(s: Scope) -> String {
        s.0
    }
}

/// A set of scopes, kept sorted so that equal sets print and compare equally.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ScopeSet(BTreeSet<Scope>);

impl ScopeSet {
    /// Parses a space-delimited list. Repeated tokens collapse; runs of spaces are tolerated, other whitespace
    /// is not (RFC 6749 delimits with %x20 only).
    pub fn parse(s: &str) -> Result<Self, InvalidScope> {
        s.split(' ')
            .filter(|t| !t.is_empty())
            .map(Scope::parse)
            .collect::<Result<BTreeSet<_>, _>>()
            .map(Self)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s.as_str() == scope)
    }

    pub fn is_subset_of(&self, other: &ScopeSet) -> bool {
        self.0.is_subset(&other.0)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Scope> {
        self.0.iter()
    }

    /// The scopes of `self` that `allowed` does not contain.
    pub fn difference<'a>(&'a self, allowed: &'a ScopeSet) -> impl Iterator<Item = &'a Scope> {
        self.0.difference(&allowed.0)
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        Self(iter.into_iter().collect())
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for s in &self.0 {
            if !first {
                f.write_str(" ")?;
            }
            f.write_str(s.as_str())?;
            first = false;
        }
        Ok(())
    }
}

impl fmt::Debug for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ScopeSet({:?})", self.to_string())
    }
}

impl TryFrom<String> for ScopeSet {
    type Error = InvalidScope;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<ScopeSet> for String {
    fn from(s: ScopeSet) -> String {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_tokens_follow_rfc6749_3_3() {
        let cases: &[(&str, bool)] = &[
            ("openid", true),
            ("api:read", true),
            ("https://api.example/x", true),
            ("!#[]~", true),
            ("", false),
            ("with space", false),
            ("quote\"", false),
            ("back\\slash", false),
            ("tab\t", false),
            ("é", false),
        ];
        for (input, ok) in cases {
            assert_eq!(Scope::parse(input).is_ok(), *ok, "{input:?}");
        }
    }

    #[test]
    fn sets_are_sorted_and_deduplicated() {
        let s = ScopeSet::parse("profile openid  profile email").unwrap();
        assert_eq!(s.to_string(), "email openid profile");
        assert_eq!(s.len(), 3);
        assert!(s.contains("openid"));
        assert!(!s.contains("open"));
    }

    #[test]
    fn subset_and_difference() {
        let asked = ScopeSet::parse("openid api:write").unwrap();
        let allowed = ScopeSet::parse("openid profile api:read").unwrap();
        assert!(!asked.is_subset_of(&allowed));
        let extra: Vec<_> = asked.difference(&allowed).map(|s| s.as_str()).collect();
        assert_eq!(extra, ["api:write"]);
    }

    #[test]
    fn empty_string_is_empty_set() {
        assert!(ScopeSet::parse("").unwrap().is_empty());
        assert!(ScopeSet::parse("a\tb").is_err());
    }
}
