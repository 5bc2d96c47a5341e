//! The `charter` binary. See `charter --help`; the logic lives in the library ([`charter_server::cli`]).

use std::process::ExitCode;

use clap::Parser;

#[actix_web::main]
async fn main() -> ExitCode {
    let cli = charter_server::cli::Cli::parse();
    charter_server::cli::run(cli).await
}
