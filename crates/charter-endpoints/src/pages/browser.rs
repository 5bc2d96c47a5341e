//! What a page request carries: the signed-in session (if any), the browser's CSRF binding, its locale and
//! origin. Cookies are `__Host-` prefixed, `Secure`, `HttpOnly`, `SameSite=Lax`, `Path=/`, no `Domain` — on a
//! plain-http loopback development issuer the prefix and `Secure` are dropped (browsers refuse them there).

use actix_web::HttpRequest;
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use charter_core::csrf::{CsrfKey, origin_allowed};
use charter_core::net::Origin;
use charter_core::secret::token_digest;
use charter_core::session::Session;
use charter_core::user::User;
use charter_ui::Locale;

use crate::error::ApiError;
use crate::origin::ClientOrigin;
use crate::state::AppState;

/// The session cookie's name for this issuer.
pub fn session_cookie_name(state: &AppState) -> &'static str {
    if state.issuer.is_https() {
        "__Host-charter_session"
    } else {
        "charter_session"
    }
}

/// The CSRF binding cookie's name for this issuer.
pub fn csrf_cookie_name(state: &AppState) -> &'static str {
    if state.issuer.is_https() {
        "__Host-charter_csrf"
    } else {
        "charter_csrf"
    }
}

/// A cookie with Charter's attributes. No `Max-Age`: a session cookie, gone when the browser closes.
pub fn cookie(state: &AppState, name: &'static str, value: String) -> Cookie<'static> {
    let mut c = Cookie::new(name, value);
    c.set_path("/");
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_secure(state.issuer.is_https());
    c
}

/// A cookie that tells the browser to forget `name`.
pub fn removal(state: &AppState, name: &'static str) -> Cookie<'static> {
    let mut c = cookie(state, name, String::new());
    c.make_removal();
    c
}

/// The signed-in user and their session.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub session: Session,
    pub user: User,
}

#[derive(Debug)]
pub struct Browser {
    pub signed_in: Option<SignedIn>,
    /// The CSRF binding: the cookie's value, or a fresh one to set.
    pub binding: String,
    new_binding: bool,
    pub locale: Locale,
    pub origin: Origin,
    pub user_agent: Option<String>,
}

impl Browser {
    /// Reads the request: the session cookie is looked up (an unknown, expired or disabled user's session
    /// counts as none; a cookie never comes from the URL or body), and an active session's idle deadline is
    /// pushed forward.
    pub async fn load(req: &HttpRequest, state: &AppState) -> Result<Self, ApiError> {
        let now = state.clock.now();
        let mut signed_in = None;
        if let Some(c) = req.cookie(session_cookie_name(state)) {
            let id_hash = token_digest(c.value());
            if let Some(session) = state.store.find_session(&id_hash).await?
                && session.is_live(now)
                && let Some(user) = state.store.find_user(&session.user_sub).await?
                && !user.disabled
            {
                if let Some(idle) = session.touch(now, &state.session_policy) {
                    state.store.touch_session(&id_hash, now, idle).await?;
                }
                signed_in = Some(SignedIn { session, user });
            }
        }
        let existing = req
            .cookie(csrf_cookie_name(state))
            .map(|c| c.value().to_owned())
            .filter(|v| v.len() >= 32 && v.len() <= 64);
        let (binding, new_binding) = match existing {
            Some(v) => (v, false),
            None => (CsrfKey::new_binding(state.rng.as_ref()), true),
        };
        let header = |name: header::HeaderName| {
            req.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let ui_locales = req.uri().query().and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "ui_locales")
                .map(|(_, v)| v.into_owned())
        });
        let locale = Locale::negotiate(
            ui_locales.as_deref(),
            header(header::ACCEPT_LANGUAGE).as_deref(),
        );
        Ok(Self {
            signed_in,
            binding,
            new_binding,
            locale,
            origin: ClientOrigin::of(req).0,
            user_agent: header(header::USER_AGENT),
        })
    }

    /// The form token for this browser.
    pub fn csrf_token(&self, state: &AppState) -> String {
        state.csrf.token(&self.binding)
    }

    /// The CSRF cookie to set, if the browser had none.
    pub fn new_binding_cookie(&self, state: &AppState) -> Option<Cookie<'static>> {
        self.new_binding
            .then(|| cookie(state, csrf_cookie_name(state), self.binding.clone()))
    }

    /// Checks a state-changing form post: the origin rules, then the token against this browser's binding
    /// (a browser without a binding cookie cannot have a valid token).
    pub fn form_allowed(&self, req: &HttpRequest, state: &AppState, token: &str) -> bool {
        let get = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
        origin_allowed(get("origin"), get("sec-fetch-site"), &state.issuer.origin())
            && !self.new_binding
            && state.csrf.verify(&self.binding, token)
    }
}
