//! The chromedriver process: started on a free loopback port, waited for, and shut down with its browsers.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::wd::Capabilities;
use serde_json::{Value, json};

/// The chromedriver process; shut down and killed on drop.
#[derive(Debug)]
pub(super) struct Driver {
    child: Child,
    pub(super) port: u16,
}

/// A plain GET to chromedriver on loopback; the raw response, if any. (Blocking, and without reqwest: usable
/// in `Drop`, and before anything installed a TLS crypto provider.)
fn driver_get(port: u16, path: &str, timeout: Duration) -> Option<String> {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
    s.set_read_timeout(Some(timeout)).ok()?;
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).ok()?;
    // chromedriver keeps the connection open despite `Connection: close`: read up to Content-Length.
    let mut out = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&out);
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head.lines().find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            });
            if length.is_some_and(|n| body.len() >= n) {
                return Some(text.into_owned());
            }
        }
        match s.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&chunk[..n]),
        }
    }
    (!out.is_empty()).then(|| String::from_utf8_lossy(&out).into_owned())
}

impl Drop for Driver {
    fn drop(&mut self) {
        // chromedriver's /shutdown quits every browser it started; a plain kill would orphan them.
        let _ = driver_get(self.port, "/shutdown", Duration::from_secs(5));
        for _ in 0..50 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A path to `name` in `PATH`, or in `/usr/bin`.
pub(super) fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A free port on 127.0.0.1 (bound, then released for chromedriver to take).
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

/// Starts chromedriver on a free port and waits until it reports ready; retries when the port was taken in
/// between.
pub(super) async fn start_driver(program: &Path) -> Driver {
    for _ in 0..5 {
        let port = free_port();
        let child = Command::new(program)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", program.display()));
        let mut driver = Driver { child, port };
        for _ in 0..100 {
            if matches!(driver.child.try_wait(), Ok(Some(_))) {
                break; // exited: most likely the port was taken; try another
            }
            let ready = driver_get(port, "/status", Duration::from_secs(2))
                .and_then(|res| Some(res.split_once("\r\n\r\n")?.1.to_owned()))
                .and_then(|body| serde_json::from_str::<Value>(&body).ok())
                .is_some_and(|body| body["value"]["ready"] == true);
            if ready {
                return driver;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = driver.child.kill();
    }
    panic!("chromedriver did not become ready");
}

/// Headless Chromium, fit for a root user in a container, with a profile of its own.
pub(super) fn capabilities(profile: &Path) -> Capabilities {
    let args = vec![
        "--headless=new".to_owned(),
        "--no-sandbox".to_owned(),
        "--disable-gpu".to_owned(),
        "--disable-dev-shm-usage".to_owned(),
        "--window-size=1280,900".to_owned(),
        "--no-first-run".to_owned(),
        "--lang=en-US".to_owned(),
        "--disable-features=Translate,OptimizationHints,MediaRouter".to_owned(),
        format!("--user-data-dir={}", profile.display()),
    ];
    let mut chrome = json!({ "args": args });
    if let Some(bin) = std::env::var_os("CHROME_BIN") {
        chrome["binary"] = json!(PathBuf::from(bin).display().to_string());
    }
    json!({
        "browserName": "chrome",
        "goog:chromeOptions": chrome,
        "goog:loggingPrefs": { "browser": "ALL" },
    })
    .as_object()
    .cloned()
    .unwrap_or_default()
}
