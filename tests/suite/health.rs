//! `[health] listen`: `/healthz` and `/metrics` of the real bot on the fake
//! Discord (in process, through `llo_intake::discord::run_full`, what
//! `llo-intake run` calls). `/metrics` is parsed as Prometheus text here.

use crate::support;

use llo_intake::discord::health::HealthConfig;
use llo_intake::discord::{Hooks, Operations};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use support::bot::{config, knowledge, Chat, Running};
use support::{button, Fake, WAIT};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ANNA: u64 = 7001;

/// A port nobody listens on (bound and released).
pub fn free_address() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// One raw HTTP/1.1 request; the status and the body.
pub async fn get(addr: SocketAddr, request: &str) -> Option<(u16, String)> {
    let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
    s.write_all(request.as_bytes()).await.ok()?;
    let mut out = Vec::new();
    tokio::time::timeout(WAIT, s.read_to_end(&mut out))
        .await
        .ok()?
        .ok()?;
    let text = String::from_utf8(out).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, body.to_string()))
}

pub fn request(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n")
}

/// Waits until `path` answers `status`; returns the body.
pub async fn wait_status(addr: SocketAddr, path: &str, status: u16) -> String {
    let deadline = tokio::time::Instant::now() + WAIT;
    let mut last = None;
    loop {
        let got = get(addr, &request(path)).await;
        if let Some((s, body)) = &got {
            if *s == status {
                return body.clone();
            }
        }
        last = got.or(last);
        if tokio::time::Instant::now() > deadline {
            panic!("{path} never answered {status}; last: {last:?}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Parses Prometheus / OpenMetrics text strictly: every line a `# HELP`,
/// `# TYPE`, `# UNIT` or `# EOF` comment or a sample `name{labels} value`
/// of a declared family, ending in `# EOF`. Returns series -> value.
pub fn parse_metrics(text: &str) -> BTreeMap<String, f64> {
    let mut families: BTreeMap<String, String> = BTreeMap::new();
    let mut series = BTreeMap::new();
    let mut eof = false;
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    };
    for line in text.lines() {
        assert!(!eof, "text after # EOF: {line}");
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("EOF"), None, None) => eof = true,
                (Some("HELP" | "UNIT"), Some(n), _) => assert!(name_ok(n), "{line}"),
                (Some("TYPE"), Some(n), Some(t)) => {
                    assert!(name_ok(n), "{line}");
                    assert!(
                        [
                            "counter",
                            "gauge",
                            "histogram",
                            "summary",
                            "info",
                            "stateset",
                            "unknown",
                            "gaugehistogram"
                        ]
                        .contains(&t),
                        "{line}"
                    );
                    families.insert(n.to_string(), t.to_string());
                }
                _ => panic!("not a metrics comment: {line}"),
            }
            continue;
        }
        let (key, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("not a sample: {line}"));
        let name = key.split('{').next().unwrap();
        assert!(name_ok(name), "bad metric name in {line}");
        if let Some(labels) = key.strip_prefix(name) {
            if !labels.is_empty() {
                let inner = labels
                    .strip_prefix('{')
                    .and_then(|l| l.strip_suffix('}'))
                    .unwrap_or_else(|| panic!("bad labels in {line}"));
                for pair in inner.split(',').filter(|p| !p.is_empty()) {
                    let (k, v) = pair.split_once('=').expect("label=value");
                    assert!(name_ok(k), "bad label name in {line}");
                    assert!(
                        v.len() >= 2 && v.starts_with('"') && v.ends_with('"'),
                        "unquoted label value in {line}"
                    );
                }
            }
        }
        let family = ["_total", "_bucket", "_count", "_sum", "_created", "_info"]
            .iter()
            .find_map(|s| name.strip_suffix(s).filter(|f| families.contains_key(*f)))
            .unwrap_or(name);
        assert!(
            families.contains_key(family),
            "sample without a # TYPE: {line}"
        );
        let v: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v
                .parse()
                .unwrap_or_else(|_| panic!("not a number in {line}")),
        };
        series.insert(key.to_string(), v);
    }
    assert!(eof, "no # EOF at the end");
    series
}

/// The fake, a database directory, the health address, and the bot on
/// them with `[health] listen` set.
async fn world() -> (Fake, tempfile::TempDir, SocketAddr, Running) {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let addr = free_address();
    let ops = Operations {
        health: HealthConfig {
            listen: Some(addr.to_string()),
        },
        ..Operations::default()
    };
    let bot = Running::start_full(
        &fake,
        config(&fake),
        dir.path(),
        Hooks::default(),
        ops,
        knowledge(),
    )
    .await;
    (fake, dir, addr, bot)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_is_200_once_ready_and_503_while_the_gateway_is_gone() {
    let (fake, _dir, addr, bot) = world().await;
    assert_eq!(wait_status(addr, "/healthz", 200).await, "ok\n");

    fake.drop_gateway();
    let body = wait_status(addr, "/healthz", 503).await;
    assert!(body.starts_with("gateway: "), "the reason is named: {body}");

    fake.restore_gateway();
    assert_eq!(wait_status(addr, "/healthz", 200).await, "ok\n");
    let m = parse_metrics(&wait_status(addr, "/metrics", 200).await);
    assert!(
        m["llo_intake_gateway_reconnects_total"] >= 1.0,
        "the reconnect is counted: {m:?}"
    );
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_parse_as_prometheus_text_and_count_the_turns() {
    let (fake, _dir, addr, bot) = world().await;
    let before = parse_metrics(&wait_status(addr, "/metrics", 200).await);
    assert_eq!(before["llo_intake_turns_total"], 0.0);
    for name in [
        "llo_intake_handoffs_waiting",
        "llo_intake_handoff_oldest_wait_seconds",
        "llo_intake_gateway_reconnects_total",
        "llo_intake_followups_due",
        "llo_intake_backups_taken_total",
        "llo_intake_turn_latency_seconds_count",
    ] {
        assert!(before.contains_key(name), "{name} missing: {before:?}");
    }

    let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));
    fake.dm(ANNA, "hoi");
    let consent = chat.question("consent").await;
    fake.click(ANNA, &consent, &button(&consent, "yes"));
    chat.question("concerns").await;
    // The count follows the reply; give the second turn its moment.
    let deadline = tokio::time::Instant::now() + WAIT;
    let m = loop {
        let m = parse_metrics(&wait_status(addr, "/metrics", 200).await);
        if m["llo_intake_turns_total"] >= 2.0 || tokio::time::Instant::now() > deadline {
            break m;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!(m["llo_intake_turns_total"], 2.0, "{m:?}");
    assert_eq!(m["llo_intake_turn_latency_seconds_count"], 2.0);
    assert_eq!(
        m["llo_intake_turn_latency_seconds_bucket{le=\"+Inf\"}"],
        2.0
    );
    assert_eq!(m["llo_intake_handoffs_waiting"], 0.0);

    // Only GET of the two paths.
    let (status, _) = get(addr, "POST /metrics HTTP/1.1\r\n\r\n").await.unwrap();
    assert_eq!(status, 405);
    let (status, _) = get(addr, &request("/other")).await.unwrap();
    assert_eq!(status, 404);
    // A head that never ends within the bound (exactly the bound, so the
    // server reads all of it and closes cleanly).
    let start = "GET /metrics HTTP/1.1\r\nX: ";
    let max = llo_intake::discord::health::MAX_REQUEST_BYTES;
    let huge = format!("{start}{}", "a".repeat(max - start.len()));
    let (status, _) = get(addr, &huge).await.unwrap();
    assert_eq!(status, 431);
    bot.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_the_backups_the_schedule_takes() {
    let fake = Fake::start().await;
    let dir = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let addr = free_address();
    let mut cfg = config(&fake);
    cfg.backup.dir = Some(out.path().join("backups"));
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let hooks = Hooks {
        backup_ticks: Some(rx),
        ..Hooks::default()
    };
    let ops = Operations {
        health: HealthConfig {
            listen: Some(addr.to_string()),
        },
        ..Operations::default()
    };
    let bot = Running::start_full(&fake, cfg, dir.path(), hooks, ops, knowledge()).await;
    let m = parse_metrics(&wait_status(addr, "/metrics", 200).await);
    assert_eq!(m["llo_intake_backups_taken_total"], 0.0);
    let (done, wait) = tokio::sync::oneshot::channel();
    tx.send(done).unwrap();
    tokio::time::timeout(WAIT, wait).await.unwrap().unwrap();
    let m = parse_metrics(&wait_status(addr, "/metrics", 200).await);
    assert_eq!(m["llo_intake_backups_taken_total"], 1.0, "{m:?}");
    bot.stop().await;
}
