//! Signing keys as stored: their lifecycle state and the changes the key manager applies.
//!
//! The lifecycle rules themselves (when to generate, activate, retire, remove) are pure functions in
//! `charter-keys`; this module only names the states and the storage contract, so that `charter-storage` can
//! implement it without knowing any cryptography.

use std::fmt;
use std::str::FromStr;

use crate::clock::Timestamp;

/// Where a key is in its life. Only an `Active` key signs; `Next`, `Active` and `Retired` keys are published
/// in the JWKS; `Revoked` and `Removed` keys have had their private material destroyed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum KeyState {
    /// Published, not yet signing: relying parties learn it before it is used.
    Next,
    /// Signs new tokens (one per algorithm).
    Active,
    /// Published for verification only, until every token it signed has expired.
    Retired,
    /// Withdrawn at once (compromise): not published, its tokens refused.
    Revoked,
    /// Lived out its life: not published, material destroyed.
    Removed,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Next => "next",
            Self::Active => "active",
            Self::Retired => "retired",
            Self::Revoked => "revoked",
            Self::Removed => "removed",
        }
    }

    /// Is this key in the JWKS?
    pub fn is_published(self) -> bool {
        matches!(self, Self::Next | Self::Active | Self::Retired)
    }
}

impl fmt::Display for KeyState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for KeyState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "next" => Self::Next,
            "active" => Self::Active,
            "retired" => Self::Retired,
            "revoked" => Self::Revoked,
            "removed" => Self::Removed,
            other => return Err(format!("unknown key state {other:?}")),
        })
    }
}

/// A signing key as stored. `private_key` is the key encrypted under the key-encryption key `kek_id`
/// (empty once destroyed). `Debug` leaves it out.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredKey {
    pub kid: String,
    pub alg: String,
    pub state: KeyState,
    /// The public JWK, as JSON.
    pub public_jwk: String,
    pub private_key: Vec<u8>,
    pub kek_id: String,
    pub created_at: Timestamp,
    pub activated_at: Option<Timestamp>,
    /// When it stopped signing (retired) or was revoked.
    pub retired_at: Option<Timestamp>,
    /// A retired key is removed from this time on.
    pub remove_after: Option<Timestamp>,
}

impl fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .field("state", &self.state)
            .field("kek_id", &self.kek_id)
            .field("created_at", &self.created_at)
            .field("activated_at", &self.activated_at)
            .field("retired_at", &self.retired_at)
            .field("remove_after", &self.remove_after)
            .finish_non_exhaustive()
    }
}

/// One step of a key-set change. Each step other than `Insert` carries its precondition (the state the key
/// must be in), so two nodes acting on the same stale view cannot both apply a rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyChange {
    Insert(StoredKey),
    /// `next` -> `active`.
    Activate {
        kid: String,
        at: Timestamp,
    },
    /// `active` -> `retired`, removable from `remove_after`.
    Retire {
        kid: String,
        at: Timestamp,
        remove_after: Timestamp,
    },
    /// `next`/`active`/`retired` -> `revoked`; the private key is wiped.
    Revoke {
        kid: String,
        at: Timestamp,
    },
    /// `retired` -> `removed`; the private key is wiped.
    Remove {
        kid: String,
    },
}

/// A key re-encrypted under a new key-encryption key.
#[derive(Clone)]
pub struct RewrappedKey {
    pub kid: String,
    pub private_key: Vec<u8>,
    pub kek_id: String,
}

impl fmt::Debug for RewrappedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RewrappedKey")
            .field("kid", &self.kid)
            .field("kek_id", &self.kek_id)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip() {
        for s in [
            KeyState::Next,
            KeyState::Active,
            KeyState::Retired,
            KeyState::Revoked,
            KeyState::Removed,
        ] {
            assert_eq!(s.as_str().parse::<KeyState>(), Ok(s));
        }
        assert!("bogus".parse::<KeyState>().is_err());
        assert!(KeyState::Retired.is_published());
        assert!(!KeyState::Revoked.is_published());
    }
}
