//! `charter registration token create`: initial access tokens for dynamic client registration in
//! `initial_access_token` mode (RFC 7591 §3). The token is printed once; the database keeps its digest.

use std::time::Duration;

use charter_registry::mint_initial_access_token;
use clap::Subcommand;

use super::Context;
use super::output::{self, Failure};

#[derive(Debug, Subcommand)]
pub enum RegistrationCommand {
    /// Initial access tokens (RFC 7591 §3).
    #[command(subcommand)]
    Token(TokenCommand),
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Mint a token that allows registering clients at /register. Shown once.
    Create {
        /// How long the token stays valid (e.g. 24h, 7d). Default: until used up.
        #[arg(long, value_parser = humantime::parse_duration)]
        expires_in: Option<Duration>,
        /// How many registrations it allows. Default: unlimited (until it expires).
        #[arg(long)]
        uses: Option<u32>,
    },
}

pub async fn run(ctx: &Context, cmd: RegistrationCommand) -> Result<(), Failure> {
    match cmd {
        RegistrationCommand::Token(TokenCommand::Create { expires_in, uses }) => {
            if uses == Some(0) {
                return Err(Failure::config("--uses must be at least 1"));
            }
            if expires_in.is_none() && uses.is_none() {
                eprintln!(
                    "warning: this token never expires and has no use limit; prefer --expires-in or --uses"
                );
            }
            let (token, stored) =
                mint_initial_access_token(&ctx.store, &ctx.rng, &ctx.clock, expires_in, uses)
                    .await
                    .map_err(Failure::runtime)?;
            let value = serde_json::json!({
                "initial_access_token": token,
                "expires_at": stored.expires_at.map(|t| t.unix()),
                "uses": stored.uses_remaining,
            });
            output::print(ctx.json, &value, output::key_values)
        }
    }
}
