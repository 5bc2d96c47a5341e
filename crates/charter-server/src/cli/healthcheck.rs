//! `charter healthcheck`: asks the local server's `/healthz`, for container HEALTHCHECKs in images that carry
//! no HTTP client. Plain HTTP/1.1 over a socket, two-second limits.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::time::Duration;

use super::output::Failure;

pub fn run(listen: SocketAddr) -> Result<(), Failure> {
    let ip = if listen.ip().is_unspecified() {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        listen.ip()
    };
    let addr = SocketAddr::new(ip, listen.port());
    let limit = Duration::from_secs(2);
    let mut stream = TcpStream::connect_timeout(&addr, limit)
        .map_err(|e| Failure::runtime(format!("cannot connect to {addr}: {e}")))?;
    let _ = stream.set_read_timeout(Some(limit));
    let _ = stream.set_write_timeout(Some(limit));
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .map_err(|e| Failure::runtime(format!("cannot send to {addr}: {e}")))?;
    let mut head = [0u8; 32];
    let n = stream
        .read(&mut head)
        .map_err(|e| Failure::runtime(format!("no answer from {addr}: {e}")))?;
    let status_line = String::from_utf8_lossy(&head[..n]);
    if status_line.starts_with("HTTP/1.1 200") || status_line.starts_with("HTTP/1.0 200") {
        Ok(())
    } else {
        Err(Failure::runtime(format!(
            "{addr}/healthz answered {:?}",
            status_line.lines().next().unwrap_or("")
        )))
    }
}
