//! # charter-registry: what each client may do and how it proves who it is
//!
//! - [`metadata`]: turning requested client metadata (RFC 7591 names, from the CLI, the admin API or dynamic
//!   registration) into a validated [`charter_core::client::ClientMetadata`], or an RFC 7591 §3.2.2 error.
//! - [`redirect`]: matching a redirect URI in an authorization request against the registered ones — exact string
//!   comparison (RFC 9700 §4.1.3), with the one exception RFC 8252 §7.3 makes for native apps on loopback.
//! - [`authorize`]: the rules of an authorization request (RFC 6749 §4.1, RFC 7636, OpenID Connect Core
//!   §3.1.2): which errors are pages and which go back to the redirect URI, PKCE, `prompt`, `max_age`, and the
//!   parameters of the authorization response (`iss`, RFC 9207).
//! - [`service`]: registering, updating and deleting a client and rotating its secret, shared by the CLI, the
//!   admin API and dynamic registration (RFC 7591, RFC 7592); [`view`]: how a client is shown (RFC 7591 §3.2.1 names).
//! - [`auth`]: client authentication at the token, introspection and revocation endpoints (RFC 6749 §2.3.1,
//!   §3.2.1, OpenID Connect Core §9): which one method a request used, and whether it proves the client.
//! - [`cache`]: [`ClientCache`], the in-memory [`charter_core::store::ClientStore`] in front of the database
//!   for hot-path lookups; changes made elsewhere are seen within its TTL (5 s), changes made through it at
//!   once.
//!
//! Validation, matching and authentication are pure functions of their inputs, tested without a database.
//!
//! ## Authenticating a client at the token endpoint
//!
//! ```ignore
//! use charter_registry::{CredentialFields, PresentedCredentials, authenticate};
//!
//! let fields = CredentialFields { client_id: form.client_id.as_deref(), client_secret: ..., ..Default::default() };
//! // invalid_request (two methods, conflicting ids) or invalid_client (malformed Basic) from here on:
//! let presented = PresentedCredentials::extract(authorization_header, fields)?;
//! let record = match presented.client_id() {
//!     Some(id) => state.clients.get(&id).await?, // ClientCache: memory, or the database on a miss
//!     None => None,
//! };
//! let client = authenticate(&presented, record.as_deref(), &state.hasher, state.clock.now())?;
//! // On error: `e.as_str()` is the RFC 6749 §5.2 code, `e.www_authenticate()` the header of a 401.
//! ```

pub mod auth;
pub mod authorize;
pub mod cache;
pub mod metadata;
pub mod redirect;
pub mod service;
pub mod view;

#[cfg(test)]
mod test_support;

pub use auth::{
    AuthFailure, AuthenticatedClient, ClientAuthError, CredentialFields, PresentedCredentials,
    SecretUsed, authenticate,
};
pub use cache::ClientCache;
pub use metadata::{ClientRequest, RegistrationError, RegistrationPolicy, validate};
pub use service::{
    DynamicClient, RegisterError, RegisteredClient, RotateError, UpdateError, delete_client,
    mint_initial_access_token, register_client, register_dynamic_client, rotate_secret,
    update_client,
};
pub use view::ClientView;
