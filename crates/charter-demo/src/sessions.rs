//! The demo's own sessions: server-side, behind an HttpOnly cookie. The tokens live here, never in the
//! browser — the pattern a server-side web app (or a single-page app's backend-for-frontend) should follow.

use std::collections::HashMap;
use std::sync::Mutex;

use charter_core::random::{SystemTokenGenerator, TokenGenerator};

use crate::rp::{Pending, Tokens};

pub const COOKIE: &str = "charter_demo_session";

/// What happened last, shown on the page.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub title: String,
    pub lines: Vec<String>,
}

#[derive(Debug, Default)]
pub struct DemoSession {
    /// Guards the demo's own forms.
    pub csrf: String,
    pub pending: Option<Pending>,
    pub tokens: Option<Tokens>,
    pub rotations: u32,
    pub last: Option<Outcome>,
    /// The state sent with the logout request, checked when Charter sends the browser back.
    pub logout_state: Option<String>,
}

#[derive(Debug, Default)]
pub struct Sessions {
    map: Mutex<HashMap<String, DemoSession>>,
}

/// 256 random bits, base64url.
pub fn random() -> String {
    SystemTokenGenerator::new().token(32)
}

impl Sessions {
    /// Runs `f` on the session `id`, creating it (with a new id) when missing. Returns the id in use.
    pub fn with<T>(&self, id: Option<&str>, f: impl FnOnce(&mut DemoSession) -> T) -> (String, T) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let id = match id {
            Some(id) if map.contains_key(id) => id.to_owned(),
            _ => random(),
        };
        let session = map.entry(id.clone()).or_insert_with(|| DemoSession {
            csrf: random(),
            ..DemoSession::default()
        });
        let out = f(session);
        (id, out)
    }

    pub fn remove(&self, id: &str) {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }
}
