//! One module per page. Each page is a `*View` struct deriving [`askama::Template`]; its template extends
//! `templates/base.html`, which holds the document skeleton shared by every page.
//!
//! Each view also has an inherent `render()`, so callers need not import the `Template` trait.

pub mod account;
pub mod consent;
pub mod device;
pub mod form_post;
pub mod login;
pub mod logout;
pub mod message;
#[cfg(test)]
mod tests;

/// Adds `pub fn render(&self) -> Result<String, askama::Error>` to view types.
macro_rules! inherent_render {
    ($($view:ident),+ $(,)?) => {$(
        impl $view<'_> {
            /// Renders the page to an HTML document.
            pub fn render(&self) -> Result<String, askama::Error> {
                askama::Template::render(self)
            }
        }
    )+};
}
pub(crate) use inherent_render;
