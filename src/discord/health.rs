//! The health endpoint: `[health] listen = "127.0.0.1:9464"` serves
//!
//! * `GET /healthz`: `200 ok` while the gateway is connected (READY or
//!   RESUMED seen, no disconnect since, every shard connected) and the
//!   database takes a flushed write; else `503` with the reasons, one a line.
//! * `GET /metrics`: the [`super::metrics`] as Prometheus (OpenMetrics) text.
//!
//! A minimal HTTP/1.1 responder on a tokio listener, nothing more: only GET
//! (and HEAD) of those two paths, the request head at most
//! [`MAX_REQUEST_BYTES`], read within [`READ_TIMEOUT`], one request per
//! connection. Bind it to localhost or a private network: it has no
//! authentication (it shows counts, never personal data).

use super::metrics::Metrics;
use super::Bot;
use serde::Deserialize;
use serenity::all::ShardManager;
use serenity::gateway::ConnectionStage;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tracing::{debug, info, warn};

/// The longest request head read; a longer one gets 431.
pub const MAX_REQUEST_BYTES: usize = 8 * 1024;
/// A request head must arrive within this time.
pub const READ_TIMEOUT: Duration = Duration::from_secs(5);
/// At most this many connections are served at once; more wait.
const MAX_CONNECTIONS: usize = 32;

/// The `[health]` section of the configuration file.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct HealthConfig {
    /// Address and port for `/healthz` and `/metrics`, e.g. "127.0.0.1:9464".
    /// Unset: no endpoint.
    #[serde(default)]
    pub listen: Option<String>,
}

impl HealthConfig {
    /// Checks `listen` is an IP address with a port from 1 to 65535.
    pub fn validate(&self) -> Result<(), String> {
        match &self.listen {
            None => Ok(()),
            Some(s) => match s.trim().parse::<SocketAddr>() {
                Ok(a) if a.port() != 0 => Ok(()),
                _ => Err(format!(
                    "[health] listen: '{s}' is not an IP address with a port from 1 to 65535 (like \"127.0.0.1:9464\")"
                )),
            },
        }
    }

    /// The address to listen on, when set (and valid).
    pub fn address(&self) -> Option<SocketAddr> {
        self.listen.as_deref().and_then(|s| s.trim().parse().ok())
    }
}

/// Whether the gateway is connected, as the event handler saw it: READY or
/// RESUMED sets it, a shard leaving the connected stage clears it.
#[derive(Debug, Default)]
pub struct Gateway {
    connected: AtomicBool,
}

impl Gateway {
    pub fn set(&self, connected: bool) {
        self.connected.store(connected, Ordering::SeqCst);
    }

    pub fn connected(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
    }
}

/// Binds `addr` and serves until the returned task is aborted.
pub(crate) async fn serve(
    addr: SocketAddr,
    bot: Arc<Bot>,
    manager: Arc<ShardManager>,
) -> std::io::Result<tokio::task::JoinHandle<()>> {
    let listener = TcpListener::bind(addr).await?;
    info!(address = %listener.local_addr()?, "health and metrics endpoint listening");
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    Ok(tokio::spawn(async move {
        loop {
            let (stream, _) = match listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    warn!(error = %e, "health endpoint: cannot accept");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let Ok(slot) = slots.clone().acquire_owned().await else {
                return;
            };
            let (bot, manager) = (bot.clone(), manager.clone());
            tokio::spawn(async move {
                if let Err(e) = connection(stream, &bot, &manager).await {
                    debug!(error = %e, "health endpoint: connection ended");
                }
                drop(slot);
            });
        }
    }))
}

/// What a request head asks for.
#[derive(Debug, PartialEq, Eq)]
enum Request {
    Get { path: String, head: bool },
    OtherMethod,
    Bad,
    TooLarge,
}

/// Reads one request head (up to the blank line), bounded in size and time.
async fn read_head(stream: &mut TcpStream) -> std::io::Result<Request> {
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + READ_TIMEOUT;
    loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            return Ok(parse_head(&buf[..end]));
        }
        if buf.len() >= MAX_REQUEST_BYTES {
            return Ok(Request::TooLarge);
        }
        let n = match tokio::time::timeout_at(deadline, stream.read(&mut chunk)).await {
            Ok(r) => r?,
            Err(_) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    "request head not read in time",
                ))
            }
        };
        if n == 0 {
            return Ok(Request::Bad);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn parse_head(head: &[u8]) -> Request {
    let Ok(text) = std::str::from_utf8(head) else {
        return Request::Bad;
    };
    let line = text.lines().next().unwrap_or("");
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Request::Bad;
    };
    if !version.starts_with("HTTP/1.") || parts.next().is_some() {
        return Request::Bad;
    }
    let path = target.split('?').next().unwrap_or("").to_string();
    match method {
        "GET" => Request::Get { path, head: false },
        "HEAD" => Request::Get { path, head: true },
        _ => Request::OtherMethod,
    }
}

async fn connection(
    mut stream: TcpStream,
    bot: &Arc<Bot>,
    manager: &Arc<ShardManager>,
) -> std::io::Result<()> {
    let (status, kind, body, head) = match read_head(&mut stream).await? {
        Request::Get { path, head } => match path.as_str() {
            "/healthz" => {
                let (status, body) = health(bot, manager).await;
                (status, "text/plain; charset=utf-8", body, head)
            }
            "/metrics" => (
                200,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                metrics(bot).await,
                head,
            ),
            _ => (404, "text/plain; charset=utf-8", "not found\n".into(), head),
        },
        Request::OtherMethod => (405, "text/plain; charset=utf-8", "only GET\n".into(), false),
        Request::Bad => (
            400,
            "text/plain; charset=utf-8",
            "bad request\n".into(),
            false,
        ),
        Request::TooLarge => (
            431,
            "text/plain; charset=utf-8",
            "request too large\n".into(),
            false,
        ),
    };
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        _ => "Service Unavailable",
    };
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\ncontent-type: {kind}\r\ncontent-length: {}\r\ncache-control: no-store\r\nconnection: close\r\n",
        body.len()
    );
    if status == 405 {
        out.push_str("allow: GET, HEAD\r\n");
    }
    out.push_str("\r\n");
    if !head {
        out.push_str(&body);
    }
    stream.write_all(out.as_bytes()).await?;
    stream.shutdown().await
}

/// `/healthz`: 200 and "ok", or 503 and every reason.
async fn health(bot: &Arc<Bot>, manager: &Arc<ShardManager>) -> (u16, String) {
    let mut reasons = Vec::new();
    if bot.gate.is_closed() {
        reasons.push("shutting down".to_string());
    }
    if !bot.gateway.connected() {
        reasons.push(
            "gateway: not connected (no READY or RESUMED since the last disconnect)".to_string(),
        );
    } else {
        let runners = manager.runners.lock().await;
        if runners.is_empty() {
            reasons.push("gateway: no shard running".to_string());
        }
        for (id, r) in runners.iter() {
            if r.stage != ConnectionStage::Connected {
                reasons.push(format!("gateway: shard {id} is {:?}", r.stage));
            }
        }
    }
    let now = bot.now();
    if let Err(e) = bot.blocking(move |b| b.intake.store.probe(now)).await {
        reasons.push(format!("database: not writable: {e}"));
    }
    if reasons.is_empty() {
        (200, "ok\n".to_string())
    } else {
        (503, reasons.join("\n") + "\n")
    }
}

/// `/metrics`: the counters, with the hand-off gauges read from the store
/// when they are older than [`super::metrics::QUEUE_EVERY`].
async fn metrics(bot: &Arc<Bot>) -> String {
    if bot.metrics.queue_due(Instant::now()) {
        refresh_queue(bot, &bot.metrics).await;
    }
    bot.metrics.encode()
}

async fn refresh_queue(bot: &Arc<Bot>, m: &Metrics) {
    let now = bot.now();
    match bot.blocking(|b| b.intake.store.conversations()).await {
        Ok(all) => {
            let q = crate::domain::handoff::queue(&all, now);
            let oldest = q.iter().map(|e| e.waiting).max().unwrap_or_default();
            m.set_queue(q.len(), oldest);
        }
        Err(e) => warn!(error = %e, "metrics: cannot read the hand-off queue"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listen_address_is_checked_naming_the_key() {
        let ok = HealthConfig {
            listen: Some("127.0.0.1:9464".into()),
        };
        assert!(ok.validate().is_ok());
        assert_eq!(ok.address().unwrap().port(), 9464);
        for bad in ["localhost", "127.0.0.1", "127.0.0.1:0", "1.2.3.4:70000", ""] {
            let e = HealthConfig {
                listen: Some(bad.into()),
            }
            .validate()
            .unwrap_err();
            assert!(e.contains("[health] listen"), "{e}");
        }
    }

    #[test]
    fn request_heads_are_read_strictly() {
        assert_eq!(
            parse_head(b"GET /healthz?x=1 HTTP/1.1\r\nHost: a"),
            Request::Get {
                path: "/healthz".into(),
                head: false
            }
        );
        assert_eq!(parse_head(b"POST /metrics HTTP/1.1"), Request::OtherMethod);
        assert_eq!(parse_head(b"GET /metrics"), Request::Bad);
        assert_eq!(parse_head(b"\xff\xfe"), Request::Bad);
    }
}
