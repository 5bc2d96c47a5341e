//! `charter users ...`: create, list, show, update (profile claims), disable/enable, set-password. Changes go
//! through `charter_core::accounts`, the functions the admin API calls.

use std::io::BufRead;

use charter_core::accounts::{self, NewAccount};
use charter_core::ids::{Subject, Username};
use charter_core::store::{Page, UserStore};
use charter_core::user::{Profile, User};
use clap::{Args, Subcommand};
use secrecy::SecretString;
use serde::Serialize;

use super::Context;
use super::output::{self, Failure};

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Create a user. The password is read from the first line of standard input.
    Create(Box<CreateArgs>),
    /// List users, ordered by sub.
    List {
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: u64,
        /// Start after this sub (for paging).
        #[arg(long)]
        after: Option<String>,
    },
    /// Show one user, by sub or username.
    Show { user: String },
    /// Change a user's profile claims: those given change, the others stay (as the admin API's PATCH).
    Update(Box<UpdateArgs>),
    /// Disable a user: they cannot sign in and their tokens stop working.
    Disable { user: String },
    /// Enable a disabled user again.
    Enable { user: String },
    /// Set a user's password, read from the first line of standard input.
    SetPassword {
        user: String,
        /// Read the password from standard input (the only way: passwords never go on a command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[arg(long)]
    username: String,
    #[arg(long)]
    email: Option<String>,
    /// Mark the email address as verified.
    #[arg(long)]
    email_verified: bool,
    /// Full name.
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    given_name: Option<String>,
    #[arg(long)]
    family_name: Option<String>,
    #[arg(long)]
    phone_number: Option<String>,
    #[arg(long)]
    locale: Option<String>,
    #[arg(long)]
    zoneinfo: Option<String>,
    /// Read the password from the first line of standard input (only the line ending is stripped).
    #[arg(long, required = true)]
    password_stdin: bool,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    /// The user, by sub or username.
    user: String,
    /// Full name.
    #[arg(long)]
    name: Option<String>,
    #[arg(long)]
    given_name: Option<String>,
    #[arg(long)]
    family_name: Option<String>,
    /// A new address is unverified unless --email-verified true is given too.
    #[arg(long)]
    email: Option<String>,
    #[arg(long, value_name = "BOOL")]
    email_verified: Option<bool>,
    #[arg(long)]
    phone_number: Option<String>,
    #[arg(long, value_name = "BOOL")]
    phone_number_verified: Option<bool>,
    #[arg(long)]
    locale: Option<String>,
    #[arg(long)]
    zoneinfo: Option<String>,
    #[arg(long)]
    picture: Option<String>,
    /// Remove this claim (repeatable), e.g. --clear family_name.
    #[arg(long, value_name = "CLAIM")]
    clear: Vec<String>,
}

impl UpdateArgs {
    /// The flags as a JSON merge patch of the profile.
    fn patch(&self) -> serde_json::Map<String, serde_json::Value> {
        let mut patch = serde_json::Map::new();
        for claim in &self.clear {
            patch.insert(claim.clone(), serde_json::Value::Null);
        }
        let texts = [
            ("name", &self.name),
            ("given_name", &self.given_name),
            ("family_name", &self.family_name),
            ("email", &self.email),
            ("phone_number", &self.phone_number),
            ("locale", &self.locale),
            ("zoneinfo", &self.zoneinfo),
            ("picture", &self.picture),
        ];
        for (claim, value) in texts {
            if let Some(v) = value {
                patch.insert(claim.to_owned(), v.clone().into());
            }
        }
        let flags = [
            ("email_verified", self.email_verified),
            ("phone_number_verified", self.phone_number_verified),
        ];
        for (claim, value) in flags {
            if let Some(v) = value {
                patch.insert(claim.to_owned(), v.into());
            }
        }
        patch
    }
}

/// A user as printed: the OpenID claim names, and no password hash.
#[derive(Debug, Serialize)]
struct UserView<'a> {
    sub: &'a str,
    username: &'a str,
    #[serde(flatten)]
    profile: &'a Profile,
    disabled: bool,
    created_at: i64,
    updated_at: i64,
}

impl<'a> From<&'a User> for UserView<'a> {
    fn from(u: &'a User) -> Self {
        Self {
            sub: u.sub.as_str(),
            username: u.username.as_str(),
            profile: &u.profile,
            disabled: u.disabled,
            created_at: u.created_at.unix(),
            updated_at: u.updated_at.unix(),
        }
    }
}

/// The first line of standard input, without its line ending (`\n` or `\r\n`) and nothing else stripped.
fn read_password() -> Result<SecretString, Failure> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| {
        Failure::runtime(format!("cannot read the password from standard input: {e}"))
    })?;
    if line.ends_with('\n') {
        line.pop();
        if line.ends_with('\r') {
            line.pop();
        }
    }
    if line.is_empty() {
        return Err(Failure::runtime("no password on standard input"));
    }
    Ok(SecretString::from(line))
}

fn print_user(ctx: &Context, user: &User) -> Result<(), Failure> {
    let view = UserView::from(user);
    output::print(ctx.json, &view, |v| {
        output::key_values(&serde_json::to_value(v).unwrap_or_default())
    })
}

/// Finds a user by sub, or else by username.
async fn find(ctx: &Context, key: &str) -> Result<User, Failure> {
    let found = match Subject::parse(key) {
        Ok(sub) => ctx.store.find_user(&sub).await,
        Err(_) => match Username::parse(key) {
            Ok(name) => ctx.store.find_user_by_username(&name).await,
            Err(_) => Ok(None),
        },
    }
    .map_err(Failure::runtime)?;
    found.ok_or_else(|| Failure::runtime(format!("no user {key:?}")))
}

pub async fn run(ctx: &Context, cmd: UsersCommand) -> Result<(), Failure> {
    match cmd {
        UsersCommand::Create(args) => {
            let password = read_password()?;
            let account = NewAccount {
                username: args.username,
                password,
                profile: Profile {
                    name: args.name,
                    given_name: args.given_name,
                    family_name: args.family_name,
                    email: args.email,
                    email_verified: args.email_verified,
                    phone_number: args.phone_number,
                    locale: args.locale,
                    zoneinfo: args.zoneinfo,
                    ..Profile::default()
                },
            };
            let user = accounts::create_account(
                &ctx.store,
                &ctx.rng,
                &ctx.clock,
                &ctx.settings.password_policy,
                account,
            )
            .await
            .map_err(Failure::runtime)?;
            print_user(ctx, &user)
        }
        UsersCommand::List { limit, after } => {
            let page = Page {
                after,
                ..Page::first(limit)
            };
            let users = ctx
                .store
                .list_users(&page)
                .await
                .map_err(Failure::runtime)?;
            let views: Vec<UserView<'_>> = users.iter().map(UserView::from).collect();
            output::print(ctx.json, &views, |vs| {
                vs.iter()
                    .map(|v| {
                        let state = if v.disabled { "  (disabled)" } else { "" };
                        format!("{}  {}{state}", v.sub, v.username)
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            })
        }
        UsersCommand::Show { user } => {
            let user = find(ctx, &user).await?;
            print_user(ctx, &user)
        }
        UsersCommand::Update(args) => {
            let user = find(ctx, &args.user).await?;
            let patch = args.patch();
            if patch.is_empty() {
                return Err(Failure::config(
                    "nothing to change: give at least one claim flag",
                ));
            }
            let user = accounts::update_profile(&ctx.store, &ctx.clock, &user.sub, &patch)
                .await
                .map_err(Failure::runtime)?;
            let fields: Vec<&str> = patch.keys().map(String::as_str).collect();
            let event = super::audit::event(ctx, charter_core::audit::AuditKind::AdminAction)
                .user(user.sub.as_str())
                .detail("action", "user.update")
                .detail("fields", fields);
            super::audit::record(ctx, event).await;
            print_user(ctx, &user)
        }
        UsersCommand::Disable { user } => set_disabled(ctx, &user, true).await,
        UsersCommand::Enable { user } => set_disabled(ctx, &user, false).await,
        UsersCommand::SetPassword { user, .. } => {
            let password = read_password()?;
            let user = find(ctx, &user).await?;
            // The admin API's reset: the old password's sessions end (back-channel logout messages, which a
            // running server delivers within `logout.delivery_interval`) and every grant is revoked, refresh
            // tokens included.
            let reset = accounts::reset_password(
                &ctx.store,
                &ctx.rng,
                &ctx.clock,
                &ctx.settings.password_policy,
                &user.sub,
                &password,
                true,
            )
            .await
            .map_err(Failure::runtime)?;
            let event = super::audit::event(ctx, charter_core::audit::AuditKind::PasswordChanged)
                .user(user.sub.as_str())
                .detail("end_sessions", true)
                .detail("sessions", reset.ended.sessions)
                .detail(
                    "grants_revoked",
                    reset.ended.grants_revoked + reset.grants_revoked,
                );
            super::audit::record(ctx, event).await;
            output::print(
                ctx.json,
                &serde_json::json!({ "sub": user.sub.as_str(), "password_changed": true }),
                |_| format!("password changed for {}", user.username),
            )
        }
    }
}

async fn set_disabled(ctx: &Context, key: &str, disabled: bool) -> Result<(), Failure> {
    let user = find(ctx, key).await?;
    ctx.store
        .set_user_disabled(&user.sub, disabled, ctx.now())
        .await
        .map_err(Failure::runtime)?;
    if disabled {
        end_all_sessions(ctx, &user.sub).await?;
        let event = super::audit::event(ctx, charter_core::audit::AuditKind::UserDisabled)
            .user(user.sub.as_str());
        super::audit::record(ctx, event).await;
    }
    let user = find(ctx, user.sub.as_str()).await?;
    print_user(ctx, &user)
}

/// Ends every session of a disabled user or one whose password an operator changed: the relying parties that
/// received ID tokens in them are told by back-channel logout (a running server delivers the messages within
/// `logout.delivery_interval`), and their session-bound refresh tokens end.
async fn end_all_sessions(ctx: &Context, sub: &charter_core::ids::Subject) -> Result<(), Failure> {
    use charter_core::store::OutboxStore;
    let which = charter_core::logout::outbox::EndSessions::AllOfUser {
        user: sub,
        keep: None,
    };
    ctx.store
        .end_sessions(which, ctx.now(), &ctx.rng)
        .await
        .map_err(Failure::runtime)?;
    Ok(())
}
