//! # charter-registry: what each client may do and how it proves who it is
//!
//! - [`metadata`]: turning requested client metadata (RFC 7591 names, from the CLI, the admin API or dynamic
//!   registration) into a validated [`charter_core::client::ClientMetadata`], or an RFC 7591 §3.2.2 error.
//! - [`redirect`]: matching a redirect URI in an authorization request against the registered ones — exact string
//!   comparison (RFC 9700 §4.1.3), with the one exception RFC 8252 §7.3 makes for native apps on loopback.
//! - [`service`]: registering a client and rotating its secret, shared by the CLI, the admin API and dynamic
//!   registration; [`view`]: how a client is shown (RFC 7591 §3.2.1 names).
//!
//! Validation and matching are pure functions of their inputs, tested without a database.

pub mod metadata;
pub mod redirect;
pub mod service;
pub mod view;

pub use metadata::{ClientRequest, RegistrationError, RegistrationPolicy, validate};
pub use service::{RegisterError, RegisteredClient, RotateError, register_client, rotate_secret};
pub use view::ClientView;
