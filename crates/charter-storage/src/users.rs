//! [`UserStore`] on the `users` table.
//!
//! Usernames are unique without regard to case: the row keeps the spelling the user chose in `username` and
//! the lower-cased key (`Username::normalized`) in `username_normalized`, which carries the unique
//! constraint, so the database itself refuses `Alice` once `alice` exists, even between two racing sign-ups.

use async_trait::async_trait;
use charter_core::clock::Timestamp;
use charter_core::ids::{Subject, Username};
use charter_core::store::{NewUser, Page, StoreError, UserStore};
use charter_core::user::{Address, Profile, User, UserCredentials};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::SeaStore;
use crate::entity::users::{self, Column};
use crate::error::{conflict_by, corrupt, db_err};
use crate::page_limit;

#[async_trait]
impl UserStore for SeaStore {
    async fn create_user(&self, new: NewUser) -> Result<User, StoreError> {
        let address = new
            .profile
            .address
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::Backend(format!("encoding an address: {e}")))?;
        let p = &new.profile;
        let row = users::ActiveModel {
            sub: Set(new.sub.as_str().to_owned()),
            username: Set(new.username.as_str().to_owned()),
            username_normalized: Set(new.username.normalized()),
            password_hash: Set(new.password_hash.clone()),
            name: Set(p.name.clone()),
            given_name: Set(p.given_name.clone()),
            family_name: Set(p.family_name.clone()),
            email: Set(p.email.clone()),
            email_verified: Set(p.email_verified),
            phone_number: Set(p.phone_number.clone()),
            phone_number_verified: Set(p.phone_number_verified),
            address: Set(address),
            locale: Set(p.locale.clone()),
            zoneinfo: Set(p.zoneinfo.clone()),
            picture: Set(p.picture.clone()),
            disabled: Set(false),
            created_at: Set(new.now.unix()),
            updated_at: Set(new.now.unix()),
        };
        users::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(conflict_by(user_conflict))?;
        Ok(User {
            sub: new.sub,
            username: new.username,
            profile: new.profile,
            disabled: false,
            created_at: new.now,
            updated_at: new.now,
        })
    }

    async fn find_user(&self, sub: &Subject) -> Result<Option<User>, StoreError> {
        users::Entity::find_by_id(sub.as_str())
            .one(&self.db)
            .await
            .map_err(db_err)?
            .map(to_user)
            .transpose()
    }

    async fn find_user_by_username(&self, username: &Username) -> Result<Option<User>, StoreError> {
        Ok(self
            .find_credentials(username)
            .await?
            .map(|credentials| credentials.user))
    }

    async fn find_credentials(
        &self,
        username: &Username,
    ) -> Result<Option<UserCredentials>, StoreError> {
        let Some(mut row) = users::Entity::find()
            .filter(Column::UsernameNormalized.eq(username.normalized()))
            .one(&self.db)
            .await
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        let password_hash = std::mem::take(&mut row.password_hash);
        Ok(Some(UserCredentials {
            user: to_user(row)?,
            password_hash,
        }))
    }

    async fn list_users(&self, page: &Page) -> Result<Vec<User>, StoreError> {
        let mut query = users::Entity::find();
        if let Some(after) = &page.after {
            query = query.filter(Column::Sub.gt(after.as_str()));
        }
        query
            .order_by_asc(Column::Sub)
            .limit(page_limit(page))
            .all(&self.db)
            .await
            .map_err(db_err)?
            .into_iter()
            .map(to_user)
            .collect()
    }

    async fn set_user_disabled(
        &self,
        sub: &Subject,
        disabled: bool,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let result = users::Entity::update_many()
            .col_expr(Column::Disabled, Expr::value(disabled))
            .col_expr(Column::UpdatedAt, Expr::value(now.unix()))
            .filter(Column::Sub.eq(sub.as_str()))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(result.rows_affected > 0)
    }

    async fn set_password_hash(
        &self,
        sub: &Subject,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let result = users::Entity::update_many()
            .col_expr(Column::PasswordHash, Expr::value(password_hash))
            .col_expr(Column::UpdatedAt, Expr::value(now.unix()))
            .filter(Column::Sub.eq(sub.as_str()))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(result.rows_affected > 0)
    }
}

/// Which unique key refused a new user: the driver names the column (SQLite) or constraint (PostgreSQL).
fn user_conflict(message: &str) -> &'static str {
    if message.contains("username") {
        "username"
    } else {
        "user"
    }
}

fn to_user(row: users::Model) -> Result<User, StoreError> {
    let address = row
        .address
        .as_deref()
        .map(serde_json::from_str::<Address>)
        .transpose()
        .map_err(|e| corrupt("user address", e))?;
    Ok(User {
        sub: Subject::parse(&row.sub).map_err(|e| corrupt("user sub", e))?,
        username: Username::parse(&row.username).map_err(|e| corrupt("username", e))?,
        profile: Profile {
            name: row.name,
            given_name: row.given_name,
            family_name: row.family_name,
            email: row.email,
            email_verified: row.email_verified,
            phone_number: row.phone_number,
            phone_number_verified: row.phone_number_verified,
            address,
            locale: row.locale,
            zoneinfo: row.zoneinfo,
            picture: row.picture,
        },
        disabled: row.disabled,
        created_at: Timestamp::from_unix(row.created_at),
        updated_at: Timestamp::from_unix(row.updated_at),
    })
}
