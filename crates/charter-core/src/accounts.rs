//! Creating and changing user accounts: the rules shared by the CLI, the admin API and the account page.
//!
//! - [`create_account`]: username syntax, email shape, password policy, Argon2id.
//! - [`update_profile`] with [`patch_profile`]: the standard claims as a JSON merge patch (RFC 7396).
//! - [`set_password`], and [`reset_password`] for an operator's reset, which also ends what the old password
//!   opened (sessions, with back-channel logout messages, and every grant: refresh tokens included).

use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;

use serde_json::{Map, Value};

use crate::clock::Clock;
use crate::ids::{InvalidId, Subject, Username};
use crate::logout::outbox::{EndSessions, SessionsEnded};
use crate::password::{self, HashError, PasswordPolicy, PasswordRejected};
use crate::random::TokenGenerator;
use crate::store::{GrantStore, NewUser, OutboxStore, StoreError, UserProfileStore, UserStore};
use crate::user::{Profile, User};

#[derive(Debug, Error)]
pub enum AccountError {
    #[error("invalid username: {0}")]
    InvalidUsername(InvalidId),
    #[error("invalid email address")]
    InvalidEmail,
    /// A profile change names an unknown claim or gives one a value of the wrong type.
    #[error("invalid profile: {0}")]
    InvalidProfile(String),
    #[error("{0}")]
    Password(#[from] PasswordRejected),
    #[error("the username is taken")]
    UsernameTaken,
    #[error("no such user")]
    NoSuchUser,
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(_) => Self::UsernameTaken,
            other => Self::Store(other),
        }
    }
}

/// What an operator (or, later, a sign-up page) provides for a new user.
#[derive(Debug)]
pub struct NewAccount {
    pub username: String,
    pub password: SecretString,
    pub profile: Profile,
}

/// A deliberately small check: something@something, no spaces, at most 254 characters (RFC 5321 path limit).
/// Deliverability is proven by sending mail, not by a regular expression.
pub fn check_email(email: &str) -> Result<(), AccountError> {
    let ok = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email
            .rsplit_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty());
    if ok {
        Ok(())
    } else {
        Err(AccountError::InvalidEmail)
    }
}

/// Validates, hashes the password and stores a new user with a fresh `sub`.
pub async fn create_account(
    store: &dyn UserStore,
    rng: &dyn TokenGenerator,
    clock: &dyn Clock,
    policy: &PasswordPolicy,
    account: NewAccount,
) -> Result<User, AccountError> {
    let username = Username::parse(&account.username).map_err(AccountError::InvalidUsername)?;
    if let Some(email) = &account.profile.email {
        check_email(email)?;
    }
    policy.check(account.password.expose_secret())?;
    let password_hash = password::hash_password(&account.password, rng)?;
    let user = store
        .create_user(NewUser {
            sub: Subject::generate(rng),
            username,
            profile: account.profile,
            password_hash,
            now: clock.now(),
        })
        .await?;
    Ok(user)
}

/// Sets a new password for `sub`.
pub async fn set_password<S: UserStore + ?Sized>(
    store: &S,
    rng: &dyn TokenGenerator,
    clock: &dyn Clock,
    policy: &PasswordPolicy,
    sub: &Subject,
    new_password: &SecretString,
) -> Result<(), AccountError> {
    policy.check(new_password.expose_secret())?;
    let hash = password::hash_password(new_password, rng)?;
    if store.set_password_hash(sub, &hash, clock.now()).await? {
        Ok(())
    } else {
        Err(AccountError::NoSuchUser)
    }
}

/// The claims a profile change may name (OpenID Connect Core §5.1, those [`Profile`] holds).
pub const PROFILE_FIELDS: [&str; 11] = [
    "name",
    "given_name",
    "family_name",
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
    "address",
    "locale",
    "zoneinfo",
    "picture",
];

/// The members of `address` (OpenID Connect Core §5.1.1).
const ADDRESS_FIELDS: [&str; 6] = [
    "formatted",
    "street_address",
    "locality",
    "region",
    "postal_code",
    "country",
];

/// `current` with `patch` applied as a JSON merge patch (RFC 7396): a claim set to `null` is cleared (a
/// `*_verified` flag becomes false), an absent one is unchanged, `address` merges member by member.
///
/// - Unknown claims are refused, not ignored, so a misspelt one cannot look like a change that was made.
/// - A new `email` is checked like one given at creation ([`check_email`]).
/// - Changing `email` (or `phone_number`) without naming `email_verified` (`phone_number_verified`) clears
///   the flag: the old verification was of another address. Without an address, the flag is false.
pub fn patch_profile(
    current: &Profile,
    patch: &Map<String, Value>,
) -> Result<Profile, AccountError> {
    let invalid = |e: serde_json::Error| AccountError::InvalidProfile(e.to_string());
    let Value::Object(mut fields) = serde_json::to_value(current).map_err(invalid)? else {
        return Err(AccountError::InvalidProfile(
            "a profile is not a JSON object".to_owned(),
        ));
    };
    for (name, value) in patch {
        if !PROFILE_FIELDS.contains(&name.as_str()) {
            return Err(AccountError::InvalidProfile(format!(
                "unknown claim {name:?}; known: {}",
                PROFILE_FIELDS.join(", ")
            )));
        }
        if let (Some(address), true) = (value.as_object(), name == "address")
            && let Some(unknown) = address
                .keys()
                .find(|k| !ADDRESS_FIELDS.contains(&k.as_str()))
        {
            return Err(AccountError::InvalidProfile(format!(
                "unknown address member {unknown:?}"
            )));
        }
        merge(&mut fields, name, value);
    }
    if fields
        .get("address")
        .and_then(Value::as_object)
        .is_some_and(Map::is_empty)
    {
        fields.remove("address");
    }
    let mut updated: Profile = serde_json::from_value(Value::Object(fields)).map_err(invalid)?;
    if updated.email != current.email {
        if let Some(email) = &updated.email {
            check_email(email)?;
        }
        if !patch.contains_key("email_verified") {
            updated.email_verified = false;
        }
    }
    if updated.phone_number != current.phone_number && !patch.contains_key("phone_number_verified")
    {
        updated.phone_number_verified = false;
    }
    updated.email_verified &= updated.email.is_some();
    updated.phone_number_verified &= updated.phone_number.is_some();
    Ok(updated)
}

/// RFC 7396 §2, for one member of the target.
fn merge(target: &mut Map<String, Value>, name: &str, patch: &Value) {
    match patch {
        Value::Null => {
            target.remove(name);
        }
        Value::Object(members) => {
            let entry = target
                .entry(name.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(inner) = entry {
                for (k, v) in members {
                    merge(inner, k, v);
                }
            }
        }
        other => {
            target.insert(name.to_owned(), other.clone());
        }
    }
}

/// Applies `patch` ([`patch_profile`]) to the profile of `sub` and stores the result; returns the user as
/// changed. Two concurrent changes of one user are applied in turn, the later one winning for the claims both
/// name, but a claim only the earlier named may be lost (read, merge, write: no lock is held).
pub async fn update_profile<S>(
    store: &S,
    clock: &dyn Clock,
    sub: &Subject,
    patch: &Map<String, Value>,
) -> Result<User, AccountError>
where
    S: UserStore + UserProfileStore + ?Sized,
{
    let mut user = store
        .find_user(sub)
        .await?
        .ok_or(AccountError::NoSuchUser)?;
    let profile = patch_profile(&user.profile, patch)?;
    let now = clock.now();
    if !store.update_user_profile(sub, &profile, now).await? {
        return Err(AccountError::NoSuchUser);
    }
    user.profile = profile;
    user.updated_at = now;
    Ok(user)
}

/// What an operator's password reset ended besides the old password.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PasswordReset {
    /// The user's sessions ended (with their back-channel logout messages).
    pub ended: SessionsEnded,
    /// Grants revoked after the sessions ended (offline ones included).
    pub grants_revoked: u64,
}

/// An operator sets a new password for `sub` ([`set_password`]: policy, Argon2id). With `end_sessions`, every
/// session of the user ends (as in sign-out: back-channel logout messages are written) and every grant is
/// revoked, refresh tokens included: whoever knew the old password may hold them. The caller records the
/// audit event and wakes its delivery and revocation machinery from the returned counts.
pub async fn reset_password<S>(
    store: &S,
    rng: &dyn TokenGenerator,
    clock: &dyn Clock,
    policy: &PasswordPolicy,
    sub: &Subject,
    new_password: &SecretString,
    end_sessions: bool,
) -> Result<PasswordReset, AccountError>
where
    S: UserStore + OutboxStore + GrantStore + ?Sized,
{
    set_password(store, rng, clock, policy, sub, new_password).await?;
    if !end_sessions {
        return Ok(PasswordReset::default());
    }
    let now = clock.now();
    let which = EndSessions::AllOfUser {
        user: sub,
        keep: None,
    };
    let ended = store.end_sessions(which, now, rng).await?;
    let grants_revoked = store.revoke_user_grants(sub, now).await?;
    Ok(PasswordReset {
        ended,
        grants_revoked,
    })
}

#[cfg(test)]
mod tests;
