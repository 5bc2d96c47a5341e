//! The `form_post` response mode (OAuth 2.0 Form Post Response Mode): the authorization response delivered as
//! an auto-submitted form to the client's redirect URI. The one page with a script: a single line, allowed by
//! a per-response CSP nonce (never `unsafe-inline`), with a button for browsers without JavaScript.

use askama::Template;

#[derive(Debug, Template)]
#[template(path = "form_post.html")]
pub struct FormPostView {
    /// The client's redirect URI.
    pub action: String,
    /// The response parameters (`code`, `state`, `iss` or `error`, ...).
    pub fields: Vec<(String, String)>,
    /// The CSP nonce of this response.
    pub nonce: String,
}

impl FormPostView {
    pub fn render(&self) -> Result<String, askama::Error> {
        Template::render(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_escaped_and_the_script_carries_the_nonce() {
        let page = FormPostView {
            action: "https://app.example/cb?x=1&y=2".into(),
            fields: vec![("state".into(), "\"><script>alert(1)</script>".into())],
            nonce: "n0nce".into(),
        }
        .render()
        .unwrap();
        assert!(
            page.contains(r#"action="https://app.example/cb?x=1&#38;y=2""#),
            "{page}"
        );
        assert!(!page.contains("<script>alert"));
        assert_eq!(page.matches("<script").count(), 1);
        assert!(page.contains(r#"<script nonce="n0nce">"#));
    }
}
