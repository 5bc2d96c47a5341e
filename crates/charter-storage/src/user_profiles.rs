//! [`UserProfileStore`] on the `users` table: an operator's change to a user's standard claims.
//!
//! The profile is written whole, in one statement: the merge of a partial change happens before, in
//! `charter_core::accounts::update_profile`, so both backends store exactly the same thing.

use async_trait::async_trait;
use charter_core::clock::Timestamp;
use charter_core::ids::Subject;
use charter_core::store::{StoreError, UserProfileStore};
use charter_core::user::Profile;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::SeaStore;
use crate::entity::users::{self, Column};
use crate::error::db_err;

#[async_trait]
impl UserProfileStore for SeaStore {
    async fn update_user_profile(
        &self,
        sub: &Subject,
        profile: &Profile,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let address = profile
            .address
            .as_ref()
            .map(serde_json::to_string)
            .transpose()
            .map_err(|e| StoreError::Backend(format!("encoding an address: {e}")))?;
        let p = profile.clone();
        let result = users::Entity::update_many()
            .col_expr(Column::Name, Expr::value(p.name))
            .col_expr(Column::GivenName, Expr::value(p.given_name))
            .col_expr(Column::FamilyName, Expr::value(p.family_name))
            .col_expr(Column::Email, Expr::value(p.email))
            .col_expr(Column::EmailVerified, Expr::value(p.email_verified))
            .col_expr(Column::PhoneNumber, Expr::value(p.phone_number))
            .col_expr(
                Column::PhoneNumberVerified,
                Expr::value(p.phone_number_verified),
            )
            .col_expr(Column::Address, Expr::value(address))
            .col_expr(Column::Locale, Expr::value(p.locale))
            .col_expr(Column::Zoneinfo, Expr::value(p.zoneinfo))
            .col_expr(Column::Picture, Expr::value(p.picture))
            .col_expr(Column::UpdatedAt, Expr::value(now.unix()))
            .filter(Column::Sub.eq(sub.as_str()))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(result.rows_affected > 0)
    }
}
