//! `charter registration token create`: initial access tokens for dynamic registration, printed once and
//! stored as a digest.

use charter_core::registration::InitialAccessToken;
use charter_core::secret::token_digest;
use charter_core::store::ClientRegistrationStore;
use charter_storage::SeaStore;

use super::*;

fn stored(env: &Env, token: &str) -> Option<InitialAccessToken> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = SeaStore::connect(&env.db.connect_options()).await.unwrap();
        let found = store
            .find_initial_access_token(&token_digest(token))
            .await
            .unwrap();
        store.close().await;
        found
    })
}

#[test]
fn registration_tokens_are_printed_once_and_stored_as_digests() {
    for env in backends() {
        let out = json(&charter(
            &env,
            &[
                "registration",
                "token",
                "create",
                "--json",
                "--expires-in",
                "1h",
                "--uses",
                "3",
            ],
            None,
        ));
        let token = out["initial_access_token"].as_str().unwrap();
        assert_eq!(token.len(), 43, "256 bits, base64url");
        assert_eq!(out["uses"], 3);
        let expires_at = out["expires_at"].as_i64().unwrap();
        let row = stored(&env, token).expect("stored under its digest");
        assert_eq!(row.uses_remaining, Some(3));
        assert_eq!(row.expires_at.map(|t| t.unix()), Some(expires_at));
        assert_eq!(expires_at - row.created_at.unix(), 3600);
        assert_eq!(row.token_hash, token_digest(token));

        // Without limits: allowed, with a warning.
        let out = charter(&env, &["registration", "token", "create", "--json"], None);
        let unlimited = json(&out);
        assert!(stderr(&out).contains("never expires"));
        assert!(unlimited["expires_at"].is_null() && unlimited["uses"].is_null());

        let out = charter(
            &env,
            &["registration", "token", "create", "--uses", "0"],
            None,
        );
        assert_one_line_error(&out, "--uses");
        assert_eq!(out.status.code(), Some(2));
    }
}
