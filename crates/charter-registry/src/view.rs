//! How a client is shown to operators and to dynamic registration: RFC 7591 §3.2.1 field names, plus Charter's
//! operator settings.

use charter_core::client::{Client, ClientMetadata, OperatorSettings, Registration};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct ClientView<'a> {
    pub client_id: &'a str,
    /// Only right after registration or rotation; never readable later.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<&'a str>,
    pub client_id_issued_at: i64,
    /// 0: the secret does not expire (RFC 7591 §3.2.1). Absent for clients without a secret.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret_expires_at: Option<i64>,
    #[serde(flatten)]
    pub metadata: &'a ClientMetadata,
    /// Charter's operator settings: shown to operators, left out of what a dynamically registered client reads
    /// about itself (RFC 7592 §2.1), so that sending it back in an update (§2.2) sets nothing operator-only.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub settings: Option<&'a OperatorSettings>,
    pub registration: Registration,
}

impl<'a> ClientView<'a> {
    pub fn new(client: &'a Client, secret: Option<&'a str>) -> Self {
        Self {
            client_id: client.id.as_str(),
            client_secret: secret,
            client_id_issued_at: client.created_at.unix(),
            client_secret_expires_at: client
                .metadata
                .token_endpoint_auth_method
                .uses_secret()
                .then_some(0),
            metadata: &client.metadata,
            settings: Some(&client.settings),
            registration: client.registration,
        }
    }

    /// The view a client gets of itself through dynamic registration: RFC 7591 metadata only.
    pub fn for_client(client: &'a Client, secret: Option<&'a str>) -> Self {
        Self {
            settings: None,
            ..Self::new(client, secret)
        }
    }
}
