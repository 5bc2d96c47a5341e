//! Server secrets kept outside the database: the client-secret pepper (and, with the keys issue, the
//! key-encryption key).
//!
//! Embedded default: generated on first start into the data directory with mode 0600. With PostgreSQL every
//! node must share them, so they must come from configuration (`charter secrets generate` prints fresh ones).

use std::fs;
use std::io::Write;
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use charter_core::random::TokenGenerator;
use charter_core::secret::Pepper;
use charter_core::store::{Page, Store};

use std::sync::Arc;

use charter_keys::Kek;

use crate::settings::{KekSource, PepperSource};

/// Base64 of 32 fresh random bytes: a pepper or a key-encryption key.
pub fn generate_key(rng: &dyn TokenGenerator) -> String {
    let mut bytes = [0u8; 32];
    rng.fill(&mut bytes);
    STANDARD.encode(bytes)
}

/// The pepper, reading (or, the first time, creating) the data-directory file when none is configured.
/// `data_exists` says whether the database already holds secrets hashed under a pepper ([`pepper_in_use`]):
/// then a missing file is an error, never a reason to make a new one — a fresh pepper would start the server
/// and refuse every client secret and refresh token (a restore that forgot the file).
pub fn load_pepper(
    source: &PepperSource,
    rng: &dyn TokenGenerator,
    data_exists: bool,
) -> Result<Pepper, String> {
    match source {
        PepperSource::Configured(p) => Ok(p.clone()),
        PepperSource::DataDir(path) => {
            if !path.exists() {
                if data_exists {
                    return Err(format!(
                        "the client-secret pepper file {} is missing, but the database holds clients and \
                         signing keys created under a pepper; restore the file (see docs/operations.md, \
                         \"Backup and restore\") or set CHARTER_SECRET_PEPPER",
                        path.display()
                    ));
                }
                write_new_secret(path, &generate_key(rng))?;
                tracing::warn!(
                    path = %path.display(),
                    "generated a client-secret pepper in the data directory; in production, configure \
                     secret_pepper (CHARTER_SECRET_PEPPER) and keep it with your other secrets"
                );
            }
            let text = fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            Pepper::from_base64(&text).map_err(|e| format!("{}: the pepper {e}", path.display()))
        }
    }
}

/// Whether the database already holds anything hashed under the pepper: its signing keys (written at the
/// first start) or a client (the CLI can create one before the first start).
pub async fn pepper_in_use(store: &dyn Store) -> Result<bool, String> {
    let fail = |e: charter_core::StoreError| format!("cannot read the database: {e}");
    if !store.list_keys().await.map_err(fail)?.is_empty() {
        return Ok(true);
    }
    Ok(!store
        .list_clients(&Page::first(1))
        .await
        .map_err(fail)?
        .is_empty())
}

/// The key-encryption key: configured, or read from (the first time, created in) the data directory.
/// `keys_exist` says whether the database already holds signing keys: then a missing KEK file is an error,
/// never a reason to make a new one (keys encrypted under a lost KEK must not be silently replaced).
pub fn load_kek(
    source: &KekSource,
    rng: &dyn TokenGenerator,
    keys_exist: bool,
) -> Result<Arc<Kek>, String> {
    match source {
        KekSource::Configured(k) => Ok(k.clone()),
        KekSource::DataDir(path) => {
            if !path.exists() {
                if keys_exist {
                    return Err(format!(
                        "the key-encryption key file {} is missing, but the database holds signing keys \
                         encrypted under a key-encryption key; restore the file or set \
                         CHARTER_KEY_ENCRYPTION_KEY",
                        path.display()
                    ));
                }
                write_new_secret(path, &generate_key(rng))?;
            }
            let text = fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            Kek::from_base64(&text)
                .map(Arc::new)
                .map_err(|e| format!("{}: {e}", path.display()))
        }
    }
}

/// Replaces the data-directory KEK after a rewrap, keeping the previous one beside it as `.old`.
pub fn replace_data_dir_kek(path: &Path, new_base64: &str) -> Result<(), String> {
    let old = path.with_extension("old");
    if path.exists() {
        fs::rename(path, &old).map_err(|e| format!("cannot move {} aside: {e}", path.display()))?;
    }
    write_new_secret(path, new_base64)
}

/// Writes a secret file readable by its owner only, refusing to overwrite an existing one.
fn write_new_secret(path: &Path, contents: &str) -> Result<(), String> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    file.write_all(contents.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use charter_core::random::SystemTokenGenerator;
    use charter_core::secret::SecretHasher;

    #[test]
    fn generated_pepper_is_kept_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret-pepper");
        let rng = SystemTokenGenerator::new();
        let source = PepperSource::DataDir(path.clone());
        let a = SecretHasher::new(load_pepper(&source, &rng, false).unwrap());
        let b = SecretHasher::new(load_pepper(&source, &rng, false).unwrap());
        assert!(
            b.verify("x", &a.hash("x")),
            "the second start reads the same pepper"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn corrupt_pepper_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret-pepper");
        fs::write(&path, "not base64 !!").unwrap();
        let err = load_pepper(
            &PepperSource::DataDir(path),
            &SystemTokenGenerator::new(),
            false,
        )
        .unwrap_err();
        assert!(err.contains("secret-pepper"), "{err}");
    }

    #[test]
    fn a_missing_pepper_is_not_replaced_when_data_depends_on_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret-pepper");
        let rng = SystemTokenGenerator::new();
        let err = load_pepper(&PepperSource::DataDir(path.clone()), &rng, true).unwrap_err();
        assert!(
            err.contains("missing") && err.contains("CHARTER_SECRET_PEPPER"),
            "{err}"
        );
        assert!(!path.exists(), "no new pepper was written");
        load_pepper(&PepperSource::DataDir(path.clone()), &rng, false).unwrap();
        assert!(path.exists(), "a fresh instance gets one");
        load_pepper(&PepperSource::DataDir(path), &rng, true).expect("an existing file is read");
    }
}
