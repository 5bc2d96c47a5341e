//! Headless Chromium for the browser tests, driven through WebDriver ([`fantoccini`]).
//!
//! [`Chrome::start`] launches one `chromedriver` on a free loopback port, waits until it answers, and opens a
//! headless Chromium session with a fresh profile and a 1280x900 window. Dropping the [`Chrome`] asks
//! chromedriver to shut down (which quits Chromium) and then kills it, so a failing test leaves no browser
//! behind. Each test gets its own chromedriver: nothing is shared between tests.
//!
//! Without `chromedriver` on the machine a browser test is skipped with a note — unless
//! `CHARTER_BROWSER_TESTS=required` is set (CI sets it), in which case it fails. Screenshots go to
//! `<target dir>/screenshots/<test>/<page>.png`.

mod driver;

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

use driver::{Driver, capabilities, find_program, start_driver};
use serde_json::{Value, json};

/// The environment variable that turns a missing chromedriver from a skip into a failure.
pub const REQUIRE_ENV: &str = "CHARTER_BROWSER_TESTS";

/// How long to wait for a page to show what a test expects.
const WAIT: Duration = Duration::from_secs(10);

/// A running chromedriver with one headless Chromium session.
#[derive(Debug)]
pub struct Chrome {
    client: Client,
    driver: Driver,
    shots: PathBuf,
    // Removed after the browser quit (field order: dropped after `driver`).
    _profile: tempfile::TempDir,
}

/// Whether a missing chromedriver must fail the test (CI) rather than skip it.
fn required() -> bool {
    std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "required")
}

/// The cargo target directory this test binary was built into.
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from)
        && dir.is_absolute()
    {
        return dir;
    }
    // <target>/<profile>/deps/<test binary>
    if let Ok(exe) = std::env::current_exe()
        && let Some(deps) = exe.parent()
        && deps.file_name().is_some_and(|n| n == "deps")
        && let Some(target) = deps.parent().and_then(Path::parent)
    {
        return target.to_path_buf();
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target")
}

/// A POST to a session-scoped chromedriver extension (`se/log`, `goog/cdp/execute`).
#[derive(Debug)]
struct SessionPost {
    path: &'static str,
    body: Value,
}

impl WebDriverCompatibleCommand for SessionPost {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/{}",
            session_id.unwrap_or(""),
            self.path
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

/// One entry of the browser's console log.
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub level: String,
    pub message: String,
}

impl Chrome {
    /// Starts chromedriver and a headless Chromium for `test` (the screenshot folder's name). None when
    /// chromedriver is not installed and [`REQUIRE_ENV`] is not `required`.
    pub async fn start(test: &str) -> Option<Chrome> {
        let Some(program) = std::env::var_os("CHROMEDRIVER")
            .map(PathBuf::from)
            .or_else(|| find_program("chromedriver"))
        else {
            if required() {
                panic!(
                    "{REQUIRE_ENV}=required but chromedriver is not installed (apt-get install chromium chromium-driver)"
                );
            }
            eprintln!(
                "skipped: browser test {test} needs chromedriver and Chromium (apt-get install chromium chromium-driver)"
            );
            return None;
        };
        let driver = start_driver(&program).await;
        let profile = tempfile::tempdir().expect("a profile directory");
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities(profile.path()))
            .connect(&format!("http://127.0.0.1:{}", driver.port))
            .await
            .unwrap_or_else(|e| panic!("chromedriver does not start Chromium: {e}"));
        let shots = target_dir().join("screenshots").join(test);
        // Last run's pictures of this test would mislead a reviewer.
        let _ = std::fs::remove_dir_all(&shots);
        std::fs::create_dir_all(&shots).expect("the screenshot directory");
        Some(Chrome {
            client,
            driver,
            shots,
            _profile: profile,
        })
    }

    /// The WebDriver client, for anything the helpers below do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("navigating to {url}: {e}"));
    }

    pub async fn url(&self) -> url::Url {
        self.client.current_url().await.expect("the current URL")
    }

    /// The visible text of the page.
    pub async fn text(&self) -> String {
        self.client
            .find(Locator::Css("body"))
            .await
            .expect("a body")
            .text()
            .await
            .expect("the body's text")
    }

    /// Waits until the page's visible text contains `needle`; fails the test (with the text seen) if it never
    /// does.
    pub async fn wait_for_text(&self, needle: &str) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let text = match self.client.find(Locator::Css("body")).await {
                Ok(body) => body.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            if text.contains(needle) {
                return text;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("the page never showed {needle:?}; it shows:\n{text}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the current URL satisfies `ok`.
    pub async fn wait_for_url(&self, what: &str, ok: impl Fn(&url::Url) -> bool) -> url::Url {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let url = self.url().await;
            if ok(&url) {
                return url;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("never reached {what}; at {url}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Types `value` into the input whose `<label>` reads `label` (found through the label's `for`, as a
    /// screen reader would).
    pub async fn fill(&self, label: &str, value: &str) {
        let xpath = format!("//label[normalize-space()='{label}']");
        let label_el = self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no label {label:?}: {e}"));
        let id = label_el
            .attr("for")
            .await
            .expect("the label's for")
            .unwrap_or_else(|| panic!("label {label:?} names no input"));
        let input = self
            .client
            .find(Locator::Id(&id))
            .await
            .unwrap_or_else(|e| panic!("label {label:?} points at no input #{id}: {e}"));
        input.clear().await.expect("clearing the input");
        input.send_keys(value).await.expect("typing");
    }

    /// Clicks the first button whose text is `text`.
    pub async fn click_button(&self, text: &str) {
        self.click_xpath(&format!("//button[normalize-space()='{text}']"))
            .await;
    }

    /// Clicks the element at `xpath`.
    pub async fn click_xpath(&self, xpath: &str) {
        let el = self
            .client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::XPath(xpath))
            .await
            .unwrap_or_else(|e| panic!("nothing to click at {xpath}: {e}"));
        el.click()
            .await
            .unwrap_or_else(|e| panic!("clicking {xpath}: {e}"));
    }

    /// Runs `script` in the page and returns its result.
    pub async fn eval(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}"))
    }

    /// The browser console entries since the last call (chromedriver's `se/log`).
    pub async fn console(&self) -> Vec<LogEntry> {
        let out = self
            .client
            .issue_cmd(SessionPost {
                path: "se/log",
                body: json!({ "type": "browser" }),
            })
            .await
            .expect("the browser log");
        out.as_array()
            .into_iter()
            .flatten()
            .map(|e| LogEntry {
                level: e["level"].as_str().unwrap_or_default().to_owned(),
                message: e["message"].as_str().unwrap_or_default().to_owned(),
            })
            .collect()
    }

    /// Saves a PNG of the whole page (not only the window) as `<target>/screenshots/<test>/<page>.png`.
    pub async fn screenshot(&self, page: &str) -> PathBuf {
        let cdp = |cmd: &str, params: Value| SessionPost {
            path: "goog/cdp/execute",
            body: json!({ "cmd": cmd, "params": params }),
        };
        let metrics = self
            .client
            .issue_cmd(cdp("Page.getLayoutMetrics", json!({})))
            .await
            .expect("layout metrics");
        let size = &metrics["cssContentSize"];
        let shot = self
            .client
            .issue_cmd(cdp(
                "Page.captureScreenshot",
                json!({
                    "format": "png",
                    "captureBeyondViewport": true,
                    "clip": {
                        "x": 0, "y": 0, "scale": 1,
                        "width": size["width"].as_f64().unwrap_or(1280.0),
                        "height": size["height"].as_f64().unwrap_or(900.0),
                    },
                }),
            ))
            .await
            .expect("a screenshot");
        let png = STANDARD
            .decode(shot["data"].as_str().expect("screenshot data"))
            .expect("base64 PNG");
        let path = self.shots.join(format!("{page}.png"));
        std::fs::write(&path, png).expect("writing the screenshot");
        path
    }

    /// Ends the browser session and chromedriver.
    pub async fn close(self) {
        let Chrome {
            client,
            driver,
            _profile,
            ..
        } = self;
        let _ = client.close().await;
        drop(driver);
    }
}
