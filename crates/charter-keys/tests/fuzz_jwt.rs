//! Property tests ("fuzzing" on the stable toolchain) of JWT verification: `Keyring::verify` is what reads
//! every token presented to Charter (access tokens at userinfo and introspection, `id_token_hint` at
//! authorize and logout). Arbitrary strings and mutations of real tokens: never a panic, never accepted
//! unless byte-for-byte what was signed (RFC 7515 §5.2, RFC 8725).
//!
//! CI runs the default 256 cases; a long run is `PROPTEST_CASES=20000 cargo test -p charter-keys --test
//! fuzz_jwt` (docs/operations.md). Failing inputs are kept in `proptest-regressions/` and replayed first.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::OnceLock;

use charter_core::Timestamp;
use charter_core::keys::{KeyState, StoredKey};
use charter_core::random::SystemTokenGenerator;
use charter_keys::material::{KeyPairMaterial, generate};
use charter_keys::{Kek, Keyring, SigningAlg, kek};
use jsonwebtoken::Validation;
use proptest::prelude::*;
use serde_json::{Value, json};

const ALGS: [SigningAlg; 3] = [SigningAlg::ES256, SigningAlg::EdDSA, SigningAlg::RS256];

fn ring() -> &'static Keyring {
    static RING: OnceLock<Keyring> = OnceLock::new();
    RING.get_or_init(|| {
        let kek = Kek::from_bytes(&[5; 32]).unwrap();
        let keys: Vec<StoredKey> = ALGS
            .iter()
            .map(|&alg| {
                let der = generate(alg, 2048, &SystemTokenGenerator::new()).unwrap();
                let m = KeyPairMaterial::from_pkcs8(alg, &der).unwrap();
                let kid = m.kid().to_owned();
                StoredKey {
                    private_key: kek.seal(&der, &kek::aad(&kid, alg.as_str())).unwrap(),
                    public_jwk: serde_json::to_string(m.jwk()).unwrap(),
                    kid,
                    alg: alg.as_str().into(),
                    state: KeyState::Active,
                    kek_id: kek.id().into(),
                    created_at: Timestamp::from_unix(0),
                    activated_at: Some(Timestamp::from_unix(0)),
                    retired_at: None,
                    remove_after: None,
                }
            })
            .collect();
        Keyring::build(&keys, &kek).unwrap()
    })
}

fn tokens() -> &'static [String] {
    static TOKENS: OnceLock<Vec<String>> = OnceLock::new();
    TOKENS.get_or_init(|| {
        ALGS.iter()
            .map(|&alg| {
                ring()
                    .signer(alg)
                    .unwrap()
                    .sign_jwt("at+jwt", &json!({ "sub": "s", "exp": 4_000_000_000u64 }))
                    .unwrap()
            })
            .collect()
    })
}

fn validation() -> Validation {
    Validation {
        validate_aud: false,
        ..Validation::default()
    }
}

fn verify(token: &str) -> bool {
    ring()
        .verify::<Value>(token, "at+jwt", validation())
        .is_ok()
}

/// One edit to a string: a byte replaced, removed or inserted (ASCII, to stay valid UTF-8), or two segments
/// swapped between tokens.
#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, u8),
    Remove(usize),
    Insert(usize, u8),
    Truncate(usize),
    SpliceFrom(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0x20u8..0x7f).prop_map(|(i, b)| Mutation::Replace(i, b)),
        any::<usize>().prop_map(Mutation::Remove),
        (any::<usize>(), 0x20u8..0x7f).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<usize>()).prop_map(|(t, s)| Mutation::SpliceFrom(t, s)),
    ]
}

fn apply(token: &str, m: &Mutation) -> String {
    let mut b = token.as_bytes().to_vec();
    let at = |i: usize, len: usize| if len == 0 { 0 } else { i % len };
    match *m {
        Mutation::Replace(_, _) | Mutation::Remove(_) if b.is_empty() => {}
        Mutation::Replace(i, c) => {
            let i = at(i, b.len());
            b[i] = c;
        }
        Mutation::Remove(i) => {
            let i = at(i, b.len());
            b.remove(i);
        }
        Mutation::Insert(i, c) => {
            let i = at(i, b.len() + 1);
            b.insert(i, c);
        }
        Mutation::Truncate(i) => b.truncate(at(i, b.len())),
        Mutation::SpliceFrom(t, s) => {
            // This token's header and payload with another token's segment `s`.
            let other = &tokens()[t % tokens().len()];
            let mut parts: Vec<&str> = token.split('.').collect();
            let theirs: Vec<&str> = other.split('.').collect();
            let s = s % 3;
            if parts.len() != 3 {
                return token.to_owned();
            }
            parts[s] = theirs[s];
            return parts.join(".");
        }
    }
    String::from_utf8(b).unwrap()
}

proptest! {
    #[test]
    fn arbitrary_strings_are_refused(token in prop_oneof![
        any::<String>(),
        "[A-Za-z0-9_-]{0,80}\\.[A-Za-z0-9_-]{0,80}\\.[A-Za-z0-9_-]{0,80}",
        "eyJ[A-Za-z0-9_-]{0,80}\\.eyJ[A-Za-z0-9_-]{0,80}\\.[A-Za-z0-9_-]{0,80}",
    ]) {
        prop_assert!(!verify(&token));
    }

    #[test]
    fn a_mutated_token_is_refused_unless_unchanged(which in 0usize..3, edits in proptest::collection::vec(mutation(), 1..4)) {
        let original = &tokens()[which];
        prop_assert!(verify(original));
        let mut token = original.clone();
        for m in &edits {
            token = apply(&token, m);
        }
        // Splicing can rebuild another real token whole; that one is validly signed.
        if !tokens().contains(&token) {
            // base64url has spare bits in its last character: a change there can decode to the same bytes
            // (RFC 4648 §3.5). Anything that decodes differently must fail.
            let same = |a: &str, b: &str| {
                use base64::Engine;
                let d = |s: &str| s.split('.').map(|p| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(p).ok()).collect::<Vec<_>>();
                d(a) == d(b) && a.split('.').count() == 3 && b.split('.').count() == 3
            };
            prop_assert!(!verify(&token) || same(&token, original), "accepted a modified token: {token}");
        }
    }
}
