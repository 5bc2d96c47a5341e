//! `charter-demo`: the demo relying party, registered with the Charter that `charter serve` runs.
//!
//! ```sh
//! cargo run -- serve                 # Charter, in one terminal
//! cargo run -p charter-demo          # the demo, in another: http://127.0.0.1:3000
//! ```
//!
//! It reads Charter's configuration (defaults, `--config`, `CHARTER_*`) to find Charter's database and issuer,
//! and registers itself there as the client "Charter demo" through the same service layer as
//! `charter clients create`.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use charter_demo::{post_logout_uri, redirect_uri, register};
use charter_server::settings::{IssuerSetting, Settings, issuer_from_listen};
use clap::Parser;

#[derive(Debug, Parser)]
#[command(
    name = "charter-demo",
    about = "A demo relying party: Login with Charter"
)]
struct Cli {
    /// Where the demo listens.
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// Charter's configuration file, if `charter serve` uses one.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Charter's issuer, when it differs from what Charter's configuration says.
    #[arg(long, value_name = "URL")]
    issuer: Option<String>,
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(cli.config.as_deref()).map_err(|e| anyhow!("{e}"))?;
    let issuer = match cli.issuer {
        Some(i) => i,
        None => match &settings.issuer {
            IssuerSetting::Configured(i) => i.as_str().to_owned(),
            IssuerSetting::FromListen => issuer_from_listen(settings.listen)
                .map_err(|e| anyhow!("{e}"))?
                .as_str()
                .to_owned(),
        },
    };
    let listener =
        TcpListener::bind(cli.listen).with_context(|| format!("listen on {}", cli.listen))?;
    let base = format!("http://{}", listener.local_addr()?);
    let registration =
        register::ensure_client(&settings, &redirect_uri(&base), &post_logout_uri(&base))
            .await
            .context("register the demo with Charter")?;
    let client_id = registration.client_id.clone();
    let (_, server) = charter_demo::start(listener, &issuer, registration).await?;
    println!("Charter demo: open {base}/ (client_id {client_id}, issuer {issuer})");
    server.await?;
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = actix_web::rt::System::new().block_on(run(cli));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
