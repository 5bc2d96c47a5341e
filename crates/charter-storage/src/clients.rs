//! [`ClientStore`] on the `clients` and `client_redirect_uris` tables.
//!
//! Each fact is stored once. The columns hold what is looked at on its own (name, how the client
//! authenticates, how it was registered, its secret hashes); redirect and post-logout redirect URIs are rows,
//! exactly as registered and in order, so that a unique index refuses duplicates; the rest of the RFC 7591
//! metadata is JSON in `metadata`. Reading a client puts the pieces back together.

use std::collections::HashMap;

use async_trait::async_trait;
use charter_core::client::{
    Client, ClientMetadata, ClientRecord, OperatorSettings, RedirectUri, Registration, SecretHashes,
};
use charter_core::clock::Timestamp;
use charter_core::ids::ClientId;
use charter_core::store::{ClientStore, Page, StoreError};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use serde_json::Value;

use crate::entity::client_redirect_uris::{self as uris, Column as UriColumn};
use crate::entity::clients::{self, Column};
use crate::error::{conflict_as, corrupt, db_err};
use crate::{SeaStore, page_limit};

/// Metadata fields kept outside the `metadata` JSON: in columns or in `client_redirect_uris`.
const CLIENT_NAME: &str = "client_name";
const AUTH_METHOD: &str = "token_endpoint_auth_method";
const REDIRECT_URIS: &str = "redirect_uris";
const POST_LOGOUT_REDIRECT_URIS: &str = "post_logout_redirect_uris";

const KIND_REDIRECT: &str = "redirect";
const KIND_POST_LOGOUT: &str = "post_logout";

#[async_trait]
impl ClientStore for SeaStore {
    async fn create_client(&self, record: &ClientRecord) -> Result<(), StoreError> {
        let row = client_row(record)?;
        let uri_rows = uri_rows(&record.client)?;
        // The client and its URIs appear together or not at all.
        let txn = self.db.begin().await.map_err(db_err)?;
        clients::Entity::insert(row)
            .exec_without_returning(&txn)
            .await
            .map_err(conflict_as("client"))?;
        if !uri_rows.is_empty() {
            uris::Entity::insert_many(uri_rows)
                .exec_without_returning(&txn)
                .await
                .map_err(conflict_as("redirect URI"))?;
        }
        txn.commit().await.map_err(db_err)
    }

    async fn find_client(&self, id: &ClientId) -> Result<Option<ClientRecord>, StoreError> {
        let Some(row) = clients::Entity::find_by_id(id.as_str())
            .one(&self.db)
            .await
            .map_err(db_err)?
        else {
            return Ok(None);
        };
        let uri_rows = uris::Entity::find()
            .filter(UriColumn::ClientId.eq(id.as_str()))
            .order_by_asc(UriColumn::Position)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        to_record(row, &uri_rows).map(Some)
    }

    async fn list_clients(&self, page: &Page) -> Result<Vec<ClientRecord>, StoreError> {
        let mut query = clients::Entity::find();
        if let Some(after) = &page.after {
            query = query.filter(Column::Id.gt(after.as_str()));
        }
        let rows = query
            .order_by_asc(Column::Id)
            .limit(page_limit(page))
            .all(&self.db)
            .await
            .map_err(db_err)?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        // One query for the URIs of the whole page rather than one per client.
        let uri_rows = uris::Entity::find()
            .filter(UriColumn::ClientId.is_in(rows.iter().map(|r| r.id.as_str())))
            .order_by_asc(UriColumn::Position)
            .all(&self.db)
            .await
            .map_err(db_err)?;
        let mut by_client: HashMap<String, Vec<uris::Model>> = HashMap::new();
        for uri in uri_rows {
            by_client
                .entry(uri.client_id.clone())
                .or_default()
                .push(uri);
        }
        rows.into_iter()
            .map(|row| {
                let uris = by_client.remove(&row.id).unwrap_or_default();
                to_record(row, &uris)
            })
            .collect()
    }

    async fn delete_client(&self, id: &ClientId) -> Result<bool, StoreError> {
        // Redirect URIs, consents, grants (and their codes and tokens) and session links go with it, by
        // ON DELETE CASCADE.
        let result = clients::Entity::delete_by_id(id.as_str())
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(result.rows_affected > 0)
    }

    async fn set_client_secret(
        &self,
        id: &ClientId,
        secret: &SecretHashes,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let (previous, previous_expires_at) = split_previous(Some(secret));
        let result = clients::Entity::update_many()
            .col_expr(Column::SecretHash, Expr::value(secret.current.clone()))
            .col_expr(Column::PreviousSecretHash, Expr::value(previous))
            .col_expr(
                Column::PreviousSecretExpiresAt,
                Expr::value(previous_expires_at),
            )
            .col_expr(Column::UpdatedAt, Expr::value(now.unix()))
            .filter(Column::Id.eq(id.as_str()))
            .exec(&self.db)
            .await
            .map_err(db_err)?;
        Ok(result.rows_affected > 0)
    }
}

fn split_previous(secret: Option<&SecretHashes>) -> (Option<String>, Option<i64>) {
    match secret.and_then(|s| s.previous.as_ref()) {
        Some((hash, until)) => (Some(hash.clone()), Some(until.unix())),
        None => (None, None),
    }
}

pub(crate) fn client_row(record: &ClientRecord) -> Result<clients::ActiveModel, StoreError> {
    let client = &record.client;
    let encode = |e: serde_json::Error| StoreError::Backend(format!("encoding a client: {e}"));
    let mut metadata = serde_json::to_value(&client.metadata).map_err(encode)?;
    if let Value::Object(fields) = &mut metadata {
        for field in [
            CLIENT_NAME,
            AUTH_METHOD,
            REDIRECT_URIS,
            POST_LOGOUT_REDIRECT_URIS,
        ] {
            fields.remove(field);
        }
    }
    let (previous, previous_expires_at) = split_previous(record.secret.as_ref());
    Ok(clients::ActiveModel {
        id: Set(client.id.as_str().to_owned()),
        client_name: Set(client.metadata.client_name.clone()),
        registration: Set(registration_str(client.registration).to_owned()),
        token_endpoint_auth_method: Set(client
            .metadata
            .token_endpoint_auth_method
            .as_str()
            .to_owned()),
        metadata: Set(metadata.to_string()),
        settings: Set(serde_json::to_string(&client.settings).map_err(encode)?),
        secret_hash: Set(record.secret.as_ref().map(|s| s.current.clone())),
        previous_secret_hash: Set(previous),
        previous_secret_expires_at: Set(previous_expires_at),
        created_at: Set(client.created_at.unix()),
        updated_at: Set(client.updated_at.unix()),
    })
}

pub(crate) fn uri_rows(client: &Client) -> Result<Vec<uris::ActiveModel>, StoreError> {
    let lists = [
        (KIND_REDIRECT, &client.metadata.redirect_uris),
        (KIND_POST_LOGOUT, &client.metadata.post_logout_redirect_uris),
    ];
    let mut rows = Vec::new();
    for (kind, list) in lists {
        for (position, uri) in list.iter().enumerate() {
            let position = i32::try_from(position)
                .map_err(|_| StoreError::Backend("too many redirect URIs".to_owned()))?;
            rows.push(uris::ActiveModel {
                id: NotSet,
                client_id: Set(client.id.as_str().to_owned()),
                kind: Set(kind.to_owned()),
                uri: Set(uri.as_str().to_owned()),
                position: Set(position),
            });
        }
    }
    Ok(rows)
}

/// Rebuilds a client from its row and its URI rows (already ordered by position).
fn to_record(row: clients::Model, uri_rows: &[uris::Model]) -> Result<ClientRecord, StoreError> {
    let mut metadata: Value =
        serde_json::from_str(&row.metadata).map_err(|e| corrupt("client metadata", e))?;
    let Value::Object(fields) = &mut metadata else {
        return Err(corrupt("client metadata", "not a JSON object"));
    };
    fields.insert(CLIENT_NAME.to_owned(), Value::String(row.client_name));
    fields.insert(
        AUTH_METHOD.to_owned(),
        Value::String(row.token_endpoint_auth_method),
    );
    let mut metadata: ClientMetadata =
        serde_json::from_value(metadata).map_err(|e| corrupt("client metadata", e))?;
    for uri in uri_rows {
        let parsed = RedirectUri::parse(&uri.uri).map_err(|e| corrupt("client redirect URI", e))?;
        match uri.kind.as_str() {
            KIND_REDIRECT => metadata.redirect_uris.push(parsed),
            KIND_POST_LOGOUT => metadata.post_logout_redirect_uris.push(parsed),
            other => return Err(corrupt("client redirect URI kind", other)),
        }
    }
    let settings: OperatorSettings =
        serde_json::from_str(&row.settings).map_err(|e| corrupt("client settings", e))?;
    let secret = match (
        row.secret_hash,
        row.previous_secret_hash,
        row.previous_secret_expires_at,
    ) {
        (None, None, None) => None,
        (Some(current), None, None) => Some(SecretHashes {
            current,
            previous: None,
        }),
        (Some(current), Some(previous), Some(until)) => Some(SecretHashes {
            current,
            previous: Some((previous, Timestamp::from_unix(until))),
        }),
        _ => {
            return Err(corrupt(
                "client secret",
                "previous secret without current secret or deadline",
            ));
        }
    };
    Ok(ClientRecord {
        client: Client {
            id: ClientId::parse(&row.id).map_err(|e| corrupt("client id", e))?,
            metadata,
            settings,
            registration: parse_registration(&row.registration)?,
            created_at: Timestamp::from_unix(row.created_at),
            updated_at: Timestamp::from_unix(row.updated_at),
        },
        secret,
    })
}

fn registration_str(r: Registration) -> &'static str {
    match r {
        Registration::Operator => "operator",
        Registration::Dynamic => "dynamic",
    }
}

fn parse_registration(s: &str) -> Result<Registration, StoreError> {
    match s {
        "operator" => Ok(Registration::Operator),
        "dynamic" => Ok(Registration::Dynamic),
        other => Err(corrupt("client registration", other)),
    }
}
