//! Identifiers as newtypes: parsed once at the edge, valid everywhere after.
//!
//! A `client_id` and a user's `sub` must never be confused (SPEC-CHECKLIST A38): subjects are UUIDs (36
//! characters with dashes at fixed places), client ids are 22 base64url characters when Charter generates them,
//! and [`ClientId::parse`] refuses anything shaped like a UUID.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::random::{TokenGenerator, sizes};

/// Why an identifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{0}")]
pub struct InvalidId(pub &'static str);

macro_rules! string_newtype {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                Self::parse(&s)
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidId;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }
    };
}

string_newtype!(
    /// A user's `sub`: stable, opaque, never reused (a random UUID, OpenID Connect Core §2).
    Subject
);

impl Subject {
    pub fn generate(rng: &dyn TokenGenerator) -> Self {
        let mut bytes = [0u8; 16];
        rng.fill(&mut bytes);
        Self(
            uuid::Builder::from_random_bytes(bytes)
                .into_uuid()
                .to_string(),
        )
    }

    pub fn parse(s: &str) -> Result<Self, InvalidId> {
        let id = uuid::Uuid::try_parse(s).map_err(|_| InvalidId("a subject is a UUID"))?;
        // Canonical lower-case hyphenated form only, so one user has exactly one spelling.
        if id.hyphenated().to_string() != s {
            return Err(InvalidId("a subject is a lower-case hyphenated UUID"));
        }
        Ok(Self(s.to_owned()))
    }
}

string_newtype!(
    /// A `client_id` (RFC 6749 §2.2): base64url characters only, so it survives Basic authentication and URLs
    /// without escaping.
    ClientId
);

impl ClientId {
    pub const MAX_LEN: usize = 128;

    /// A fresh random client_id (base64url). It never starts with `-` or `_`: an id that looks like a command-line
    /// flag would need `--` before it in every `charter clients ...` call and every operator's script.
    pub fn generate(rng: &dyn TokenGenerator) -> Self {
        loop {
            let id = rng.token(sizes::CLIENT_ID);
            if id.starts_with(|c: char| c.is_ascii_alphanumeric()) {
                return Self(id);
            }
        }
    }

    pub fn parse(s: &str) -> Result<Self, InvalidId> {
        if s.is_empty() || s.len() > Self::MAX_LEN {
            return Err(InvalidId("a client_id has 1 to 128 characters"));
        }
        if !s
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        {
            return Err(InvalidId("a client_id uses base64url characters only"));
        }
        if uuid::Uuid::try_parse(s).is_ok() {
            return Err(InvalidId("a client_id cannot have the shape of a subject"));
        }
        Ok(Self(s.to_owned()))
    }
}

string_newtype!(
    /// A sign-in name. Unique without regard to case: [`Username::normalized`] is what the database keys on, the
    /// original spelling is what the user sees.
    Username
);

impl Username {
    pub const MAX_CHARS: usize = 64;

    pub fn parse(s: &str) -> Result<Self, InvalidId> {
        let chars = s.chars().count();
        if chars == 0 || chars > Self::MAX_CHARS {
            return Err(InvalidId("a username has 1 to 64 characters"));
        }
        if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(InvalidId("a username has no spaces or control characters"));
        }
        Ok(Self(s.to_owned()))
    }

    /// The case-insensitive key: `Alice` and `alice` are the same account.
    pub fn normalized(&self) -> String {
        self.0.to_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SystemTokenGenerator;

    #[test]
    fn generated_subjects_parse_and_differ() {
        let g = SystemTokenGenerator::new();
        let a = Subject::generate(&g);
        let b = Subject::generate(&g);
        assert_ne!(a, b);
        assert_eq!(Subject::parse(a.as_str()), Ok(a));
    }

    #[test]
    fn generated_client_ids_never_look_like_flags() {
        let g = SystemTokenGenerator::new();
        for _ in 0..2000 {
            let id = ClientId::generate(&g);
            assert!(
                id.as_str().starts_with(|c: char| c.is_ascii_alphanumeric()),
                "{id:?}"
            );
            assert_eq!(ClientId::parse(id.as_str()), Ok(id));
        }
    }

    #[test]
    fn subject_must_be_canonical() {
        assert!(Subject::parse("6F9619FF-8B86-D011-B42D-00C04FC964FF").is_err());
        assert!(Subject::parse("not-a-uuid").is_err());
        assert!(Subject::parse("6f9619ff-8b86-d011-b42d-00c04fc964ff").is_ok());
    }

    #[test]
    fn client_ids() {
        let cases: &[(&str, bool)] = &[
            ("abc", true),
            ("a-b_c09", true),
            ("", false),
            ("has space", false),
            ("col:on", false),
            ("plus+", false),
            ("6f9619ff-8b86-d011-b42d-00c04fc964ff", false),
            (&"x".repeat(129), false),
        ];
        for (input, ok) in cases {
            assert_eq!(ClientId::parse(input).is_ok(), *ok, "{input:?}");
        }
        let g = SystemTokenGenerator::new();
        let id = ClientId::generate(&g);
        assert_eq!(id.as_str().len(), 22);
        assert!(ClientId::parse(id.as_str()).is_ok());
    }

    #[test]
    fn client_id_never_equals_a_subject() {
        let g = SystemTokenGenerator::new();
        let sub = Subject::generate(&g);
        assert!(ClientId::parse(sub.as_str()).is_err());
    }

    #[test]
    fn usernames_are_case_insensitive_keys() {
        let u = Username::parse("Alice").unwrap();
        assert_eq!(u.normalized(), "alice");
        assert_eq!(u.as_str(), "Alice");
        assert!(Username::parse("").is_err());
        assert!(Username::parse("a b").is_err());
        assert!(Username::parse("émilie").is_ok());
        assert!(Username::parse(&"x".repeat(65)).is_err());
    }

    #[test]
    fn serde_goes_through_parse() {
        let ok: Result<ClientId, _> = serde_json::from_str("\"abc\"");
        assert!(ok.is_ok());
        let bad: Result<ClientId, _> = serde_json::from_str("\"a b\"");
        assert!(bad.is_err());
    }
}
