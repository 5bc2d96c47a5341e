//! Creating and changing user accounts: the rules shared by the CLI, the admin API and the account page.

use secrecy::{ExposeSecret, SecretString};
use thiserror::Error;

use crate::clock::Clock;
use crate::ids::{InvalidId, Subject, Username};
use crate::password::{self, HashError, PasswordPolicy, PasswordRejected};
use crate::random::TokenGenerator;
use crate::store::{NewUser, StoreError, UserStore};
use crate::user::{Profile, User};

#[derive(Debug, Error)]
pub enum AccountError {
    #[error("invalid username: {0}")]
    InvalidUsername(InvalidId),
    #[error("invalid email address")]
    InvalidEmail,
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
pub async fn set_password(
    store: &dyn UserStore,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        for ok in ["a@b", "first.last+tag@example.com", "ü@例え.jp"] {
            assert!(check_email(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "a",
            "@b",
            "a@",
            "a b@c",
            &format!("{}@b", "a".repeat(260)),
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
    }
}
