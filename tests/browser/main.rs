//! Charter's pages in a real browser: headless Chromium driven through chromedriver (WebDriver), against the
//! real server on SQLite. These tests sign in, go through consent (allow and deny), and end sessions and
//! applications from the account page, as a person would — what the HTTP suite in `api/` cannot show: that
//! Chromium accepts the cookies, follows the redirects, applies the stylesheet and finds nothing to refuse under
//! the CSP.
//!
//! Each test saves a PNG of every page it visits under `target/screenshots/<test>/`. Without chromedriver the
//! tests are skipped with a note, unless `CHARTER_BROWSER_TESTS=required` (set by `.ci/run`) makes that a
//! failure. See docs/testing.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod account;
mod callback;
mod code_flow;
mod demo;
mod device;
mod sign_in;
mod support;
