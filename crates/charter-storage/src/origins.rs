//! [`RedirectOriginStore`] on the `client_redirect_uris` table: every distinct redirect URI (kind `redirect`),
//! read whole by the CORS allow-list of each node when its copy is older than its refresh interval. One query,
//! returning one short column; post-logout redirect URIs are not read.

use async_trait::async_trait;
use charter_core::store::{RedirectOriginStore, StoreError};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::SeaStore;
use crate::entity::client_redirect_uris::{self as uris, Column};
use crate::error::db_err;

/// The `kind` of redirect URIs proper (the other kind is `post_logout`).
const KIND_REDIRECT: &str = "redirect";

#[async_trait]
impl RedirectOriginStore for SeaStore {
    async fn all_redirect_uris(&self) -> Result<Vec<String>, StoreError> {
        uris::Entity::find()
            .select_only()
            .column(Column::Uri)
            .distinct()
            .filter(Column::Kind.eq(KIND_REDIRECT))
            .into_tuple::<String>()
            .all(&self.db)
            .await
            .map_err(db_err)
    }
}
