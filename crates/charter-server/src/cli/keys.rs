//! `charter keys ...`: list, rotate, revoke, rewrap. Changes go to the database; running servers pick them up
//! within `keys.refresh_interval` (default 5 s).

use std::io::BufRead;
use std::sync::Arc;

use charter_core::random::SystemTokenGenerator;
use charter_keys::manager::KeyManager;
use charter_keys::report::KeyReport;
use charter_keys::{Kek, SigningAlg};
use clap::Subcommand;

use super::Context;
use super::output::{self, Failure};
use crate::keys::{Trigger, rotation_event, withdrawal_event};
use crate::secrets;
use crate::settings::KekSource;
use crate::startup::{Deps, key_manager};

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Every signing key with its state (next, active, retired, revoked, removed).
    List,
    /// Promote the published next key now (all configured algorithms, or one with --alg).
    Rotate {
        #[arg(long, value_name = "ALG")]
        alg: Option<String>,
        /// Rotate even if the next key was published less than `keys.prepublish` ago (relying parties that
        /// cached the JWKS may briefly not know it).
        #[arg(long)]
        force: bool,
    },
    /// Withdraw a compromised key at once: out of the JWKS, its tokens refused; an active key is replaced by
    /// the next one immediately.
    Revoke {
        /// The key's `kid` (a JWK thumbprint: it may start with `-`, so it is taken as a value, not a flag).
        #[arg(allow_hyphen_values = true)]
        kid: String,
    },
    /// Re-encrypt every private key under a new key-encryption key, read (base64) from standard input.
    Rewrap {
        /// Read the new key-encryption key from the first line of standard input.
        #[arg(long, required = true)]
        new_key_stdin: bool,
    },
}

async fn manager(ctx: &Context) -> Result<KeyManager, Failure> {
    let deps = Deps {
        clock: Arc::new(ctx.clock),
        rng: Arc::new(SystemTokenGenerator::new()),
        keygen: None,
    };
    let node = format!("cli-{}", std::process::id());
    key_manager(&ctx.settings, &deps, Arc::new(ctx.store.clone()), node)
        .await
        .map_err(Failure::runtime)
}

/// The audit events of what this process changed: the same events the server's key task writes
/// ([`crate::keys::rotation_event`]), with actor `cli`.
async fn record(ctx: &Context, report: &KeyReport, trigger: Trigger, force: bool) {
    let at = ctx.now();
    for rotation in &report.rotations {
        let mut event = rotation_event(rotation, trigger, at);
        if trigger == Trigger::Manual {
            event = event.detail("force", force);
        }
        super::audit::record(ctx, event).await;
    }
    for w in &report.withdrawn {
        super::audit::record(ctx, withdrawal_event(w, at)).await;
    }
}

pub async fn run(ctx: &Context, cmd: KeysCommand) -> Result<(), Failure> {
    let manager = manager(ctx).await?;
    match cmd {
        KeysCommand::List => {}
        KeysCommand::Rotate { alg, force } => {
            let algs = match alg {
                Some(a) => vec![a.parse::<SigningAlg>().map_err(Failure::runtime)?],
                None => ctx.settings.keys.algorithms.clone(),
            };
            for alg in algs {
                let report = manager.rotate(alg, force).await.map_err(Failure::runtime)?;
                if report.rotations.is_empty() {
                    eprintln!(
                        "no {alg} key was published yet, so none could take over; one has been generated: \
                         rotate again once it has been published for keys.prepublish"
                    );
                }
                record(ctx, &report, Trigger::Manual, force).await;
            }
            // A rotation consumes the next key; make its successor now rather than at the next maintenance
            // (which, if one was due anyway, this process then makes and records too).
            let report = manager.maintain().await.map_err(Failure::runtime)?;
            record(ctx, &report, Trigger::Scheduled, false).await;
        }
        KeysCommand::Revoke { kid } => {
            manager.revoke(&kid).await.map_err(Failure::runtime)?;
            let event = super::audit::event(ctx, charter_core::audit::AuditKind::KeyRevoked)
                .detail("kid", kid.as_str());
            super::audit::record(ctx, event).await;
        }
        KeysCommand::Rewrap { .. } => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| Failure::runtime(format!("cannot read standard input: {e}")))?;
            let new = Kek::from_base64(line.trim()).map_err(Failure::runtime)?;
            let n = manager.rewrap(&new).await.map_err(Failure::runtime)?;
            if let KekSource::DataDir(path) = &ctx.settings.kek {
                secrets::replace_data_dir_kek(path, line.trim()).map_err(Failure::runtime)?;
            }
            return output::print(
                ctx.json,
                &serde_json::json!({ "rewrapped": n, "kek_id": new.id() }),
                |_| {
                    let mut msg = format!("{n} keys re-encrypted under {}", new.id());
                    if !matches!(ctx.settings.kek, KekSource::DataDir(_)) {
                        msg.push_str(
                            "; now set key_encryption_key (CHARTER_KEY_ENCRYPTION_KEY) to the new key on every node",
                        );
                    }
                    msg
                },
            );
        }
    }
    let keys = manager.list().await.map_err(Failure::runtime)?;
    output::print(ctx.json, &keys, |ks| {
        ks.iter()
            .map(|k| format!("{:<8} {:<6} {:<8} {}", k.state, k.alg, k.kek_id, k.kid))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::KeysCommand;
    use crate::cli::{Cli, Command};

    #[test]
    fn a_kid_starting_with_a_hyphen_is_a_value() {
        let cli = Cli::try_parse_from(["charter", "keys", "revoke", "-Gq2x"]).unwrap();
        assert!(
            matches!(cli.command, Command::Keys(KeysCommand::Revoke { ref kid }) if kid == "-Gq2x"),
            "{cli:?}"
        );
    }
}
