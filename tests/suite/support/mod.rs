//! A fake Discord on 127.0.0.1 for end-to-end tests of the real serenity +
//! poise client: a REST router (hyper) and a gateway websocket
//! (tokio-tungstenite).
//!
//! It is strict where Discord is: every event it sends is first parsed into
//! serenity's own model type (serenity silently drops what it cannot parse,
//! which would make a test hang instead of fail); every REST call is recorded;
//! interaction callbacks after 3 s get 10062 and second callbacks 40060;
//! message limits (2000 characters, 5 rows, 5 buttons, 25 options, custom id
//! length, embed sizes) are enforced with 400. Things Discord allows but we
//! forbid ourselves (a message without `allowed_mentions` that parse nothing)
//! are collected as problems; [`Fake::assert_clean`] fails on any.
//!
//! Discord's error answers can be switched on per route: 5xx
//! ([`Fake::fail`]), 429 with `retry-after` on a route or global
//! ([`Fake::rate_limit`]), rate-limit buckets running dry
//! ([`Fake::bucket`]), 403/50007 for a person whose DMs are closed
//! ([`Fake::close_dms`]); the gateway can drop mid-conversation
//! ([`Fake::drop_connection`]) or go away ([`Fake::drop_gateway`]).
//!
//! The REST API is served twice: over plain HTTP on [`Fake::rest`] (what
//! `api_base_url` points at; serenity's rate limiter is then off), and as
//! `https://discord.com` on [`Fake::tls`] with a test certificate
//! (`support/tls/`), reached through [`Fake::rest_client`]: the production
//! path, serenity's own rate limiter on.
//!
//! Tests wait on the recorded REST log (`wait_*`), never on sleeps.

#![allow(dead_code)]

pub mod bot;

use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message as Ws;

pub const APP_ID: u64 = 100;
pub const BOT_USER: u64 = 100;
pub const GUILD: u64 = 300;
/// The text channel where `/intake` and the panel are used.
pub const LOBBY: u64 = 400;
/// The coaches' channel (hand-off cards).
pub const COACHES: u64 = 410;
/// A province's own coach channel.
pub const COACHES_GELDERLAND: u64 = 411;
pub const TOKEN: &str = "test-token";
/// Generous: the suite runs next to other test binaries on 2 cores.
pub const WAIT: Duration = Duration::from_secs(20);
/// Discord's deadline for the first response to an interaction.
pub const DEADLINE: Duration = Duration::from_secs(3);

/// One REST call the bot made.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    /// Without the `/api/v10` prefix and query.
    pub path: String,
    pub body: Value,
    pub status: u16,
    /// What the fake answered (JSON, or null).
    pub response: Value,
    /// Files uploaded with the call (multipart): (file name, bytes).
    pub files: Files,
    /// When the fake answered it.
    pub at: Instant,
}

/// Uploaded files: (file name, bytes).
pub type Files = Vec<(String, Vec<u8>)>;

impl Call {
    pub fn is(&self, method: &str, path: &str) -> bool {
        self.method == method && self.path == path
    }
    /// A message the bot posted in `channel`.
    pub fn posts_in(&self, channel: u64) -> bool {
        self.is("POST", &format!("/channels/{channel}/messages")) && self.status == 200
    }
}

enum WsCmd {
    Send(String),
    Close(u16),
}

#[derive(Default)]
struct Gateway {
    seq: u64,
    session: u64,
    /// Dispatches of this session that a RESUME may replay: (seq, frame).
    events: Vec<(u64, String)>,
    conn: Option<mpsc::UnboundedSender<WsCmd>>,
    /// While set, dispatches are queued for the RESUME instead of sent.
    hold: bool,
    /// On the next RESUME, also replay this many already-delivered events.
    replay_extra: usize,
    identifies: usize,
    resumes: Vec<u64>,
    /// While set, new gateway connections are closed at once (Discord's
    /// gateway unreachable).
    refuse: bool,
}

struct Interaction {
    token: String,
    sent: Instant,
    answered: bool,
    /// The message a component sits on (component and form interactions).
    message: Option<u64>,
    channel: u64,
    /// The message `@original` names once known: the component's message
    /// after an update (6, 7), else the first response message.
    original: Option<u64>,
}

#[derive(Default)]
struct State {
    calls: Vec<Call>,
    problems: Vec<String>,
    gw: Gateway,
    interactions: HashMap<u64, Interaction>,
    /// Messages the bot posted, as Discord would return them (latest version).
    messages: HashMap<u64, Value>,
    threads: HashMap<u64, (u64, Vec<u64>)>,
    /// Artificial latency: (method, path prefix, delay).
    slow: Vec<(String, String, Duration)>,
    /// Calls Discord refuses with 403 Missing Permissions: (method, path prefix).
    forbidden: Vec<(String, String)>,
    /// Guild roles of members (what interactions carry as `member.roles`).
    roles: HashMap<u64, Vec<u64>>,
    /// Roles a message may ping (allowed_mentions.roles); anything else is a problem.
    pingable_roles: Vec<u64>,
    /// Interaction id -> the message its type-4 response created.
    responses: HashMap<u64, u64>,
    /// `attachment_size_limit` in interactions; uploads over it get 413.
    attachment_limit: Option<u64>,
    /// Error answers switched on by a test, first match wins.
    faults: Vec<Fault>,
}

/// Extra response headers: (name, value).
type Headers = Vec<(&'static str, String)>;

/// An error answer Discord gives to `method` calls on paths starting with
/// `prefix`, for the next `left` calls (None: every call).
struct Fault {
    method: String,
    prefix: String,
    left: Option<usize>,
    status: u16,
    body: Value,
    headers: Headers,
}

/// The test CA's certificate (DER): the only root [`Fake::rest_client`] trusts.
const TEST_CA: &[u8] = include_bytes!("tls/ca.der");
/// The fake's certificate for `discord.com`, signed by the test CA, and its key.
const DISCORD_CERT: &[u8] = include_bytes!("tls/discord.com.der");
const DISCORD_KEY: &[u8] = include_bytes!("tls/discord.com.key.der");

/// The fake. Cheap to clone; all clones share one state.
#[derive(Clone)]
pub struct Fake {
    pub rest: SocketAddr,
    /// The same REST API over TLS, as `discord.com`.
    pub tls: SocketAddr,
    pub gateway: SocketAddr,
    state: Arc<Mutex<State>>,
    changed: Arc<watch::Sender<u64>>,
    ids: Arc<AtomicU64>,
}

impl Fake {
    pub async fn start() -> Fake {
        let rest_l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gw_l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let tls_l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let (tx, _) = watch::channel(0);
        let fake = Fake {
            rest: rest_l.local_addr().unwrap(),
            tls: tls_l.local_addr().unwrap(),
            gateway: gw_l.local_addr().unwrap(),
            state: Arc::new(Mutex::new(State::default())),
            changed: Arc::new(tx),
            ids: Arc::new(AtomicU64::new(10_000)),
        };
        let f = fake.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = rest_l.accept().await {
                tokio::spawn(f.clone().serve(stream));
            }
        });
        let f = fake.clone();
        let acceptor = tls_acceptor();
        tokio::spawn(async move {
            while let Ok((stream, _)) = tls_l.accept().await {
                let (f, acceptor) = (f.clone(), acceptor.clone());
                tokio::spawn(async move {
                    if let Ok(stream) = acceptor.accept(stream).await {
                        f.serve(stream).await;
                    }
                });
            }
        });
        let f = fake.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = gw_l.accept().await {
                if f.lock().gw.refuse {
                    drop(stream);
                    continue;
                }
                let f = f.clone();
                tokio::spawn(async move { f.gateway_conn(stream).await });
            }
        });
        fake
    }

    /// Serves the REST API on one connection (plain or TLS).
    async fn serve<S>(self, stream: S)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let svc = hyper::service::service_fn(move |req| {
            let f = self.clone();
            async move { Ok::<_, Infallible>(f.rest_call(req).await) }
        });
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(TokioIo::new(stream), svc)
            .await;
    }

    pub fn api_base(&self) -> String {
        format!("http://{}", self.rest)
    }

    pub fn gateway_url(&self) -> String {
        format!("ws://{}", self.gateway)
    }

    /// An HTTP client for which `https://discord.com` is this fake (its
    /// TLS listener, trusting only the test CA): give it to the bot with
    /// `api_base_url` unset, and serenity runs its own rate limiter.
    pub fn rest_client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_der(TEST_CA).unwrap())
            .resolve("discord.com", self.tls)
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap()
    }

    fn next_id(&self) -> u64 {
        self.ids.fetch_add(1, Ordering::SeqCst)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn bump(&self) {
        self.changed.send_modify(|n| *n += 1);
    }

    fn problem(&self, p: String) {
        eprintln!("fake discord: {p}");
        self.lock().problems.push(p);
        self.bump();
    }

    // ----- what tests read -----

    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// Index of the next call: pass it to `wait_*` to look only at later calls.
    pub fn mark(&self) -> usize {
        self.lock().calls.len()
    }

    /// Waits until `found` picks something from the calls after `from`.
    pub async fn wait<T>(
        &self,
        from: usize,
        what: &str,
        found: impl Fn(&[Call]) -> Option<T>,
    ) -> T {
        let mut rx = self.changed.subscribe();
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            {
                let st = self.lock();
                let from = from.min(st.calls.len());
                if let Some(t) = found(&st.calls[from..]) {
                    return t;
                }
            }
            if tokio::time::timeout_at(deadline, rx.changed())
                .await
                .is_err()
            {
                let calls: Vec<String> = self.calls()[from.min(self.mark())..]
                    .iter()
                    .map(|c| format!("{} {} {} {}", c.status, c.method, c.path, c.body))
                    .collect();
                panic!(
                    "timed out waiting for {what}; calls since:\n{}",
                    calls.join("\n")
                );
            }
        }
    }

    /// Waits for the first call after `from` matching `pred`; returns its index.
    pub async fn wait_call(
        &self,
        from: usize,
        what: &str,
        pred: impl Fn(&Call) -> bool,
    ) -> (usize, Call) {
        let (i, c) = self
            .wait(from, what, |calls| {
                calls.iter().position(&pred).map(|i| (i, calls[i].clone()))
            })
            .await;
        (from + i, c)
    }

    /// Messages the bot posted in `channel`, oldest first (latest versions).
    pub fn bot_messages(&self, channel: u64) -> Vec<Value> {
        let st = self.lock();
        st.calls
            .iter()
            .filter(|c| c.posts_in(channel))
            .filter_map(|c| {
                let id: u64 = c.response["id"].as_str()?.parse().ok()?;
                st.messages.get(&id).cloned()
            })
            .collect()
    }

    pub fn message(&self, id: u64) -> Option<Value> {
        self.lock().messages.get(&id).cloned()
    }

    pub fn problems(&self) -> Vec<String> {
        self.lock().problems.clone()
    }

    /// No problem recorded, no late (10062) or second (40060) callback.
    pub fn assert_clean(&self) {
        let problems = self.problems();
        assert!(
            problems.is_empty(),
            "the fake saw problems:\n{}",
            problems.join("\n")
        );
        let refused: Vec<Call> = self
            .calls()
            .into_iter()
            .filter(|c| c.path.ends_with("/callback") && c.status != 204)
            .collect();
        assert!(
            refused.is_empty(),
            "refused interaction callbacks: {refused:?}"
        );
    }

    /// Makes Discord slow to answer `method` calls on paths starting with
    /// `prefix` (without `/api/v10`).
    pub fn slow_down(&self, method: &str, prefix: &str, delay: Duration) {
        self.lock()
            .slow
            .push((method.to_string(), prefix.to_string(), delay));
    }

    /// Makes Discord refuse `method` calls on paths starting with `prefix`
    /// (without `/api/v10`) with 403 Missing Permissions, as it does when
    /// the bot lacks a permission in that channel.
    pub fn forbid(&self, method: &str, prefix: &str) {
        self.lock()
            .forbidden
            .push((method.to_string(), prefix.to_string()));
    }

    // ----- Discord's error answers -----

    fn fault(&self, f: Fault) {
        self.lock().faults.push(f);
    }

    /// The next `times` `method` calls on paths starting with `prefix` get
    /// `status` (a 5xx: Discord's "try again later").
    pub fn fail(&self, method: &str, prefix: &str, times: usize, status: u16) {
        self.fault(Fault {
            method: method.to_string(),
            prefix: prefix.to_string(),
            left: Some(times),
            status,
            body: json!({"message": "Service Unavailable", "code": 0}),
            headers: Vec::new(),
        });
    }

    /// The next `times` such calls get 429 with `retry-after` seconds, as a
    /// route's limit or (`global`) the bot's global limit, headers and body
    /// as Discord sends them.
    pub fn rate_limit(&self, method: &str, prefix: &str, times: usize, secs: f64, global: bool) {
        let mut headers = vec![
            ("retry-after", secs.to_string()),
            (
                "x-ratelimit-scope",
                if global { "global" } else { "user" }.to_string(),
            ),
        ];
        if global {
            headers.push(("x-ratelimit-global", "true".to_string()));
        } else {
            headers.extend([
                ("x-ratelimit-limit", "5".to_string()),
                ("x-ratelimit-remaining", "0".to_string()),
                ("x-ratelimit-reset-after", secs.to_string()),
                ("x-ratelimit-bucket", "fake-bucket".to_string()),
            ]);
        }
        self.fault(Fault {
            method: method.to_string(),
            prefix: prefix.to_string(),
            left: Some(times),
            status: 429,
            body: json!({"message": "You are being rate limited.", "retry_after": secs,
                         "global": global, "code": 0}),
            headers,
        });
    }

    /// The next `method` call on `prefix` succeeds but says the route's
    /// bucket is empty for `secs` (`x-ratelimit-remaining: 0`): a client
    /// that honours Discord's headers waits before its next call there.
    pub fn bucket(&self, method: &str, prefix: &str, secs: f64) {
        self.fault(Fault {
            method: method.to_string(),
            prefix: prefix.to_string(),
            left: Some(1),
            status: 200,
            body: Value::Null,
            headers: vec![
                ("x-ratelimit-limit", "5".to_string()),
                ("x-ratelimit-remaining", "0".to_string()),
                ("x-ratelimit-reset-after", secs.to_string()),
                ("x-ratelimit-bucket", "fake-bucket".to_string()),
            ],
        });
    }

    /// `user` does not take DMs from the bot: every message to their DM
    /// channel gets 403 with code 50007, as Discord answers.
    pub fn close_dms(&self, user: u64) {
        self.fault(Fault {
            method: "POST".to_string(),
            prefix: format!("/channels/{}/messages", Self::dm_channel(user)),
            left: None,
            status: 403,
            body: json!({"message": "Cannot send messages to this user", "code": 50007}),
            headers: Vec::new(),
        });
    }

    /// The fault answering this call, if any (one use taken).
    fn take_fault(&self, method: &str, path: &str) -> Option<(u16, Value, Headers)> {
        let mut st = self.lock();
        let f = st.faults.iter_mut().find(|f| {
            f.method == method && path.starts_with(f.prefix.as_str()) && f.left != Some(0)
        })?;
        if let Some(n) = &mut f.left {
            *n -= 1;
        }
        Some((f.status, f.body.clone(), f.headers.clone()))
    }

    pub fn identifies(&self) -> usize {
        self.lock().gw.identifies
    }

    pub fn resumes(&self) -> Vec<u64> {
        self.lock().gw.resumes.clone()
    }

    pub fn thread_members(&self, thread: u64) -> Vec<u64> {
        self.lock()
            .threads
            .get(&thread)
            .map(|t| t.1.clone())
            .unwrap_or_default()
    }

    // ----- the gateway -----

    async fn gateway_conn(&self, stream: tokio::net::TcpStream) {
        let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
            return;
        };
        let (mut sink, mut source) = ws.split();
        let (tx, mut rx) = mpsc::unbounded_channel();
        self.lock().gw.conn = Some(tx.clone());
        let hello = json!({"op": 10, "d": {"heartbeat_interval": 45000}}).to_string();
        if sink.send(Ws::Text(hello)).await.is_err() {
            return;
        }
        loop {
            tokio::select! {
                cmd = rx.recv() => match cmd {
                    Some(WsCmd::Send(text)) => {
                        if sink.send(Ws::Text(text)).await.is_err() { break; }
                    }
                    Some(WsCmd::Close(code)) => {
                        let frame = CloseFrame { code: CloseCode::from(code), reason: "".into() };
                        let _ = sink.send(Ws::Close(Some(frame))).await;
                        break;
                    }
                    None => break,
                },
                frame = source.next() => {
                    let text = match frame {
                        Some(Ok(Ws::Text(t))) => t,
                        Some(Ok(Ws::Binary(_) | Ws::Ping(_) | Ws::Pong(_) | Ws::Frame(_))) => continue,
                        _ => break,
                    };
                    let Ok(v) = serde_json::from_str::<Value>(&text) else { continue };
                    self.gateway_op(&v, &tx);
                }
            }
        }
        let mut st = self.lock();
        if st.gw.conn.as_ref().is_some_and(|c| c.same_channel(&tx)) {
            st.gw.conn = None;
        }
    }

    fn gateway_op(&self, v: &Value, tx: &mpsc::UnboundedSender<WsCmd>) {
        match v["op"].as_u64() {
            Some(1) => {
                let _ = tx.send(WsCmd::Send(json!({"op": 11}).to_string()));
            }
            Some(2) => {
                if v["d"]["token"] != format!("Bot {TOKEN}") {
                    // What Discord does with a bad token: close 4004.
                    let _ = tx.send(WsCmd::Close(4004));
                    return;
                }
                let frame = {
                    let mut st = self.lock();
                    st.gw.identifies += 1;
                    st.gw.session += 1;
                    st.gw.seq = 1;
                    st.gw.events.clear();
                    st.gw.hold = false;
                    self.ready_frame(st.gw.session, 1)
                };
                let _ = tx.send(WsCmd::Send(frame));
                self.bump();
            }
            Some(6) => {
                let from = v["d"]["seq"].as_u64().unwrap_or(0);
                let mut st = self.lock();
                assert_eq!(
                    v["d"]["session_id"],
                    format!("sess-{}", st.gw.session),
                    "RESUME session"
                );
                st.gw.resumes.push(from);
                let extra = std::mem::take(&mut st.gw.replay_extra);
                let old: Vec<&(u64, String)> =
                    st.gw.events.iter().filter(|(s, _)| *s <= from).collect();
                let mut replay: Vec<String> = old[old.len().saturating_sub(extra)..]
                    .iter()
                    .map(|(_, f)| f.clone())
                    .collect();
                replay.extend(
                    st.gw
                        .events
                        .iter()
                        .filter(|(s, _)| *s > from)
                        .map(|(_, f)| f.clone()),
                );
                st.gw.hold = false;
                st.gw.seq += 1;
                let resumed = json!({"op": 0, "s": st.gw.seq, "t": "RESUMED", "d": {}}).to_string();
                // Interactions count their 3 s from delivery.
                let now = Instant::now();
                for i in st.interactions.values_mut() {
                    if !i.answered {
                        i.sent = now;
                    }
                }
                drop(st);
                for f in replay {
                    let _ = tx.send(WsCmd::Send(f));
                }
                let _ = tx.send(WsCmd::Send(resumed));
                self.bump();
            }
            _ => {} // presence updates, member requests: ignored
        }
    }

    fn ready_frame(&self, session: u64, seq: u64) -> String {
        let d = json!({
            "v": 10,
            "user": {"id": BOT_USER.to_string(), "username": "llo-bot", "discriminator": "0",
                     "bot": true, "avatar": null, "global_name": null},
            "guilds": [{"id": GUILD.to_string(), "unavailable": true}],
            "session_id": format!("sess-{session}"),
            "resume_gateway_url": self.gateway_url(),
            "shard": [0, 1],
            "application": {"id": APP_ID.to_string(), "flags": 0},
        });
        serde_json::from_value::<serenity::all::Ready>(d.clone()).expect("READY must parse");
        json!({"op": 0, "s": seq, "t": "READY", "d": d}).to_string()
    }

    /// Sends a dispatch (after checking serenity can parse it); queued for
    /// the next RESUME while the connection is held down.
    fn dispatch(&self, t: &str, d: Value) {
        match t {
            "MESSAGE_CREATE" => {
                serde_json::from_value::<serenity::all::Message>(d.clone())
                    .unwrap_or_else(|e| panic!("MESSAGE_CREATE does not parse: {e}\n{d}"));
            }
            "INTERACTION_CREATE" => {
                serde_json::from_value::<serenity::all::Interaction>(d.clone())
                    .unwrap_or_else(|e| panic!("INTERACTION_CREATE does not parse: {e}\n{d}"));
            }
            _ => {}
        }
        let mut st = self.lock();
        st.gw.seq += 1;
        let frame = json!({"op": 0, "s": st.gw.seq, "t": t, "d": d}).to_string();
        let seq = st.gw.seq;
        st.gw.events.push((seq, frame.clone()));
        if !st.gw.hold {
            match &st.gw.conn {
                Some(c) => {
                    let _ = c.send(WsCmd::Send(frame));
                }
                None => panic!("no gateway connection to send {t} on"),
            }
        }
    }

    /// Sends the same frame again with a fresh sequence number (Discord may
    /// deliver an event more than once).
    pub fn redeliver_last(&self) {
        let mut st = self.lock();
        let (_, frame) = st.gw.events.last().cloned().expect("nothing to redeliver");
        let mut v: Value = serde_json::from_str(&frame).unwrap();
        st.gw.seq += 1;
        v["s"] = json!(st.gw.seq);
        let frame = v.to_string();
        let seq = st.gw.seq;
        st.gw.events.push((seq, frame.clone()));
        send_live(&st, frame);
    }

    /// Closes the connection with 4000 (resumable). Until serenity resumes,
    /// dispatches are queued; on RESUME the fake replays them, plus the last
    /// `replay_extra` events serenity had already seen (a duplicate delivery).
    pub fn drop_connection(&self, replay_extra: usize) {
        let mut st = self.lock();
        st.gw.hold = true;
        st.gw.replay_extra = replay_extra;
        if let Some(c) = st.gw.conn.take() {
            let _ = c.send(WsCmd::Close(4000));
        }
    }

    /// The gateway goes away: the live connection is closed and new ones are
    /// refused until [`Fake::restore_gateway`].
    pub fn drop_gateway(&self) {
        self.lock().gw.refuse = true;
        self.drop_connection(0);
    }

    /// The gateway takes connections again.
    pub fn restore_gateway(&self) {
        self.lock().gw.refuse = false;
    }

    /// A second READY on the live connection (what a re-identify delivers).
    pub fn ready_again(&self) {
        let mut st = self.lock();
        st.gw.seq += 1;
        let frame = self.ready_frame(st.gw.session, st.gw.seq);
        send_live(&st, frame);
    }

    /// Waits until the bot is connected and has registered its commands
    /// (its start-up work) after call index `from`.
    pub async fn wait_ready(&self, from: usize) {
        self.wait_call(from, "command registration", |c| {
            c.method == "PUT" && c.path.ends_with("/commands")
        })
        .await;
    }

    // ----- what users do -----

    pub fn user(id: u64) -> Value {
        json!({"id": id.to_string(), "username": format!("user{id}"), "discriminator": "0",
               "global_name": null, "avatar": null, "bot": false})
    }

    /// The DM channel between the bot and `user`.
    pub fn dm_channel(user: u64) -> u64 {
        5_000_000 + user
    }

    fn timestamp() -> String {
        "2025-01-01T12:00:00.000000+00:00".to_string()
    }

    fn message_json(
        &self,
        id: u64,
        channel: u64,
        guild: Option<u64>,
        author: Value,
        content: &str,
    ) -> Value {
        let mut m = json!({
            "id": id.to_string(), "channel_id": channel.to_string(), "author": author,
            "content": content, "timestamp": Self::timestamp(), "edited_timestamp": null,
            "tts": false, "mention_everyone": content.contains("@everyone"),
            "mentions": [], "mention_roles": [], "attachments": [], "embeds": [],
            "components": [], "pinned": false, "type": 0,
        });
        if let Some(g) = guild {
            m["guild_id"] = json!(g.to_string());
        }
        m
    }

    /// `user` sends a direct message to the bot; returns its message id.
    pub fn dm(&self, user: u64, content: &str) -> u64 {
        let id = self.next_id();
        let m = self.message_json(id, Self::dm_channel(user), None, Self::user(user), content);
        self.dispatch("MESSAGE_CREATE", m);
        id
    }

    /// Sends the very same MESSAGE_CREATE again (same message id).
    pub fn dm_again(&self, user: u64, id: u64, content: &str) {
        let m = self.message_json(id, Self::dm_channel(user), None, Self::user(user), content);
        self.dispatch("MESSAGE_CREATE", m);
    }

    /// `user` writes in a guild channel or thread.
    pub fn say_in(&self, user: u64, channel: u64, content: &str) -> u64 {
        let id = self.next_id();
        let m = self.message_json(id, channel, Some(GUILD), Self::user(user), content);
        self.dispatch("MESSAGE_CREATE", m);
        id
    }

    fn interaction_base(&self, id: u64, kind: u8, user: u64, channel: u64, guild: bool) -> Value {
        let mut i = json!({
            "id": id.to_string(), "application_id": APP_ID.to_string(), "type": kind,
            "token": format!("tok-{id}"), "version": 1, "channel_id": channel.to_string(),
            "locale": "nl", "entitlements": [], "attachment_size_limit": self.attachment_limit(),
            "app_permissions": "0",
        });
        if guild {
            i["guild_id"] = json!(GUILD.to_string());
            let roles: Vec<String> = self
                .lock()
                .roles
                .get(&user)
                .map(|r| r.iter().map(u64::to_string).collect())
                .unwrap_or_default();
            i["member"] = json!({"user": Self::user(user), "roles": roles,
                "joined_at": Self::timestamp(), "deaf": false, "mute": false, "flags": 0,
                "permissions": "8"});
        } else {
            i["user"] = Self::user(user);
        }
        i
    }

    fn send_interaction(&self, i: Value, channel: u64, message: Option<u64>) -> u64 {
        let id: u64 = i["id"].as_str().unwrap().parse().unwrap();
        self.lock().interactions.insert(
            id,
            Interaction {
                token: i["token"].as_str().unwrap().to_string(),
                sent: Instant::now(),
                answered: false,
                message,
                channel,
                original: None,
            },
        );
        self.dispatch("INTERACTION_CREATE", i);
        id
    }

    /// The message an interaction was answered with (type 4), e.g. an
    /// ephemeral picker.
    pub fn response_message(&self, interaction: u64) -> Option<Value> {
        let st = self.lock();
        st.responses
            .get(&interaction)
            .and_then(|m| st.messages.get(m))
            .cloned()
    }

    /// `user` picks `users` in the user select menu `custom_id` on `message`
    /// (resolved with their roles, as Discord sends them).
    pub fn select_users(&self, user: u64, message: &Value, custom_id: &str, users: &[u64]) -> u64 {
        let mut resolved_users = serde_json::Map::new();
        let mut members = serde_json::Map::new();
        for u in users {
            resolved_users.insert(u.to_string(), Self::user(*u));
            members.insert(u.to_string(), self.resolved_member(*u));
        }
        let values: Vec<String> = users.iter().map(u64::to_string).collect();
        self.component(
            user,
            message,
            json!({"custom_id": custom_id, "component_type": 5, "values": values,
                   "resolved": {"users": resolved_users, "members": members}}),
        )
    }

    /// Gives `user` these guild roles (carried by their interactions).
    pub fn set_roles(&self, user: u64, roles: &[u64]) {
        self.lock().roles.insert(user, roles.to_vec());
    }

    /// Lets messages ping `role` (and only with parse empty): the reminder.
    pub fn allow_role_ping(&self, role: u64) {
        self.lock().pingable_roles.push(role);
    }

    /// A resolved member as interactions carry it (without the user).
    fn resolved_member(&self, user: u64) -> Value {
        let roles: Vec<String> = self
            .lock()
            .roles
            .get(&user)
            .map(|r| r.iter().map(u64::to_string).collect())
            .unwrap_or_default();
        json!({"roles": roles, "joined_at": Self::timestamp(), "deaf": false, "mute": false,
               "flags": 0, "nick": null, "permissions": "0"})
    }

    /// `user` runs slash command `name` in guild channel `channel` with
    /// options: strings as `Opt::Str`, users as `Opt::User` (resolved with
    /// their roles, as Discord sends them).
    pub fn slash_with(&self, user: u64, name: &str, channel: u64, opts: &[(&str, Opt)]) -> u64 {
        let id = self.next_id();
        let mut i = self.interaction_base(id, 2, user, channel, true);
        let mut users = serde_json::Map::new();
        let mut members = serde_json::Map::new();
        let options: Vec<Value> = opts
            .iter()
            .map(|(n, o)| match o {
                Opt::Str(v) => json!({"name": n, "type": 3, "value": v}),
                Opt::Int(v) => json!({"name": n, "type": 4, "value": v}),
                Opt::User(u) => {
                    users.insert(u.to_string(), Self::user(*u));
                    members.insert(u.to_string(), self.resolved_member(*u));
                    json!({"name": n, "type": 6, "value": u.to_string()})
                }
            })
            .collect();
        i["data"] = json!({"id": "900", "name": name, "type": 1, "options": options,
            "resolved": {"users": users, "members": members}});
        self.send_interaction(i, channel, None)
    }

    /// Sets the `attachment_size_limit` interactions carry (default 10 MiB).
    pub fn set_attachment_limit(&self, bytes: u64) {
        self.lock().attachment_limit = Some(bytes);
    }

    fn attachment_limit(&self) -> u64 {
        self.lock().attachment_limit.unwrap_or(10_485_760)
    }

    /// A message the bot posted earlier (before this test's bot ran), e.g.
    /// a coach card; returns its id.
    pub fn seed_message(&self, channel: u64, content: &str) -> u64 {
        let m = self.store_message(
            channel,
            &json!({"content": content, "components": [], "embeds": []}),
        );
        m["id"].as_str().unwrap().parse().unwrap()
    }

    /// `user` runs slash command `name` with `options` (Discord's JSON:
    /// `[{"name": "format", "type": 4, "value": 0}]`) in `channel`.
    pub fn slash_options(
        &self,
        user: u64,
        name: &str,
        channel: u64,
        guild: bool,
        options: Value,
    ) -> u64 {
        let id = self.next_id();
        let mut i = self.interaction_base(id, 2, user, channel, guild);
        i["data"] = json!({"id": "900", "name": name, "type": 1, "options": options});
        self.send_interaction(i, channel, None)
    }

    /// `user` runs slash command `name` in `channel` (a guild channel, or
    /// their DM with the bot when `guild` is false).
    pub fn slash(&self, user: u64, name: &str, channel: u64, guild: bool) -> u64 {
        let id = self.next_id();
        let mut i = self.interaction_base(id, 2, user, channel, guild);
        i["data"] = json!({"id": "900", "name": name, "type": 1});
        self.send_interaction(i, channel, None)
    }

    /// The stored (latest) version of a message the bot posted.
    fn current(&self, message: &Value) -> Value {
        message["id"]
            .as_str()
            .and_then(|s| s.parse::<u64>().ok())
            .and_then(|id| self.message(id))
            .unwrap_or_else(|| message.clone())
    }

    fn component(&self, user: u64, message: &Value, data: Value) -> u64 {
        let id = self.next_id();
        let channel: u64 = message["channel_id"].as_str().unwrap().parse().unwrap();
        let guild = message.get("guild_id").is_some_and(|g| !g.is_null())
            || self.lock().threads.contains_key(&channel)
            || [LOBBY, COACHES, COACHES_GELDERLAND].contains(&channel);
        let mut i = self.interaction_base(id, 3, user, channel, guild);
        // Discord puts the message as it is now into the payload, even when
        // the user clicked on an outdated copy.
        let mut m = self.current(message);
        if guild {
            m["guild_id"] = json!(GUILD.to_string());
        }
        i["message"] = m;
        i["data"] = data;
        let mid = message["id"].as_str().and_then(|s| s.parse().ok());
        self.send_interaction(i, channel, mid)
    }

    /// `user` clicks the button `custom_id` on `message` (a message the bot posted).
    pub fn click(&self, user: u64, message: &Value, custom_id: &str) -> u64 {
        self.component(
            user,
            message,
            json!({"custom_id": custom_id, "component_type": 2}),
        )
    }

    /// `user` picks `values` in the select menu `custom_id` on `message`.
    pub fn select(&self, user: u64, message: &Value, custom_id: &str, values: &[&str]) -> u64 {
        self.component(
            user,
            message,
            json!({"custom_id": custom_id, "component_type": 3, "values": values}),
        )
    }

    /// `user` submits the form `custom_id` (opened from `message`) with `text`.
    pub fn submit_form(&self, user: u64, message: &Value, custom_id: &str, text: &str) -> u64 {
        let id = self.next_id();
        let channel: u64 = message["channel_id"].as_str().unwrap().parse().unwrap();
        let guild = self.lock().threads.contains_key(&channel)
            || [LOBBY, COACHES, COACHES_GELDERLAND].contains(&channel);
        let mut i = self.interaction_base(id, 5, user, channel, guild);
        i["message"] = self.current(message);
        i["data"] = json!({"custom_id": custom_id, "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": "answer", "value": text}]}
        ]});
        let mid = message["id"].as_str().and_then(|s| s.parse().ok());
        self.send_interaction(i, channel, mid)
    }

    // ----- the REST side -----

    async fn rest_call(&self, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let method = req.method().to_string();
        let path = req.uri().path().to_string();
        let auth_ok = req
            .headers()
            .get("authorization")
            .is_some_and(|v| v.as_bytes() == format!("Bot {TOKEN}").as_bytes());
        let content_type = req
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = req
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let (body, files) = if content_type.starts_with("multipart/form-data") {
            match multipart(&content_type, &bytes) {
                Some(parsed) => parsed,
                None => {
                    self.problem(format!("{method} {path}: malformed multipart body"));
                    return respond(400, json!({"message": "Invalid Form Body", "code": 50035}));
                }
            }
        } else {
            (
                serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                Vec::new(),
            )
        };
        let Some(path) = path.strip_prefix("/api/v10").map(str::to_string) else {
            self.problem(format!("{method} {path}: not under /api/v10"));
            return respond(404, json!({"message": "404: Not Found", "code": 0}));
        };
        if !auth_ok {
            self.problem(format!("{method} {path}: missing or wrong Authorization"));
        }
        let delay = self
            .lock()
            .slow
            .iter()
            .find(|(m, p, _)| *m == method && path.starts_with(p.as_str()))
            .map(|(_, _, d)| *d);
        if let Some(d) = delay {
            tokio::time::sleep(d).await;
        }
        let limit = self.attachment_limit() as usize;
        let forbidden = self
            .lock()
            .forbidden
            .iter()
            .any(|(m, p)| *m == method && path.starts_with(p.as_str()));
        let fault = self.take_fault(&method, &path);
        let mut headers = Vec::new();
        let (status, response) = if let Some((status, answer, h)) = fault {
            headers = h;
            if status == 200 {
                self.route(&method, &path, &body)
            } else {
                (status, answer)
            }
        } else if forbidden {
            (
                403,
                json!({"message": "Missing Permissions", "code": 50013}),
            )
        } else if let Some((name, data)) = files.iter().find(|(_, data)| data.len() > limit) {
            self.problem(format!(
                "{method} {path}: {name} has {} bytes, over the {limit} byte limit",
                data.len()
            ));
            (
                413,
                json!({"message": "Request entity too large", "code": 40005}),
            )
        } else {
            self.route(&method, &path, &body)
        };
        if status == 200 && !files.is_empty() {
            self.attach(&response, &files);
        }
        let response = response["id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .and_then(|id| self.message(id))
            .filter(|_| status == 200 && !files.is_empty())
            .unwrap_or(response);
        self.lock().calls.push(Call {
            method,
            path,
            body,
            status,
            response: response.clone(),
            files,
            at: Instant::now(),
        });
        self.bump();
        let mut r = respond(status, response);
        for (name, value) in headers {
            r.headers_mut().insert(name, value.parse().unwrap());
        }
        r
    }

    fn route(&self, method: &str, path: &str, body: &Value) -> (u16, Value) {
        let seg: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        let num = |s: &str| s.parse::<u64>().unwrap_or(0);
        match (method, seg.as_slice()) {
            ("GET", ["gateway"]) => (200, json!({"url": self.gateway_url()})),
            ("PUT", ["applications", _, "guilds", _, "commands"])
            | ("PUT", ["applications", _, "commands"]) => {
                self.check_commands(body);
                (200, json!([]))
            }
            ("POST", ["interactions", id, token, "callback"]) => {
                self.callback(num(id), token, body)
            }
            ("POST", ["webhooks", _, token]) => {
                let Some(channel) = self.interaction_channel(token) else {
                    return (404, json!({"message": "Unknown Webhook", "code": 10015}));
                };
                self.check_message(path, body);
                (200, self.store_message(channel, body))
            }
            ("PATCH", ["webhooks", _, token, "messages", which]) => {
                let Some(channel) = self.interaction_channel(token) else {
                    return (404, json!({"message": "Unknown Webhook", "code": 10015}));
                };
                self.check_message(path, body);
                let original = (*which == "@original")
                    .then(|| self.original(token))
                    .flatten();
                if let Some(m) = original.and_then(|id| self.update_message(id, body)) {
                    return (200, m);
                }
                let m = self.store_message(channel, body);
                if *which == "@original" {
                    self.set_original(token, &m);
                }
                (200, m)
            }
            ("POST", ["channels", c, "messages"]) => {
                if let Some(err) = self.check_message(path, body) {
                    return (400, err);
                }
                (200, self.store_message(num(c), body))
            }
            ("POST", ["users", "@me", "channels"]) => {
                let user = body["recipient_id"]
                    .as_str()
                    .map(num)
                    .or_else(|| body["recipient_id"].as_u64())
                    .unwrap_or(0);
                let ch = json!({"id": Self::dm_channel(user).to_string(), "type": 1,
                    "last_message_id": null, "recipients": [Self::user(user)]});
                serde_json::from_value::<serenity::all::PrivateChannel>(ch.clone())
                    .expect("PrivateChannel must parse");
                (200, ch)
            }
            ("POST", ["channels", parent, "threads"]) => {
                let id = self.next_id();
                let t = json!({"id": id.to_string(), "type": body["type"].as_u64().unwrap_or(11),
                    "guild_id": GUILD.to_string(), "parent_id": parent.to_string(),
                    "name": body["name"], "owner_id": BOT_USER.to_string(),
                    "thread_metadata": {"archived": false, "auto_archive_duration": 10080,
                        "archive_timestamp": Self::timestamp(), "locked": false, "invitable": false},
                    "member_count": 1, "message_count": 0});
                serde_json::from_value::<serenity::all::GuildChannel>(t.clone())
                    .expect("GuildChannel must parse");
                if body["type"] != 12 {
                    self.problem(format!("thread is not private: {body}"));
                }
                self.lock().threads.insert(id, (num(parent), Vec::new()));
                (201, t)
            }
            ("PATCH", ["channels", c, "messages", m]) => {
                if let Some(err) = self.check_message(path, body) {
                    return (400, err);
                }
                let mut st = self.lock();
                match st.messages.get_mut(&num(m)) {
                    Some(msg) if msg["channel_id"] == *c => {
                        for key in ["content", "components", "embeds"] {
                            if let Some(v) = body.get(key) {
                                msg[key] = v.clone();
                            }
                        }
                        (200, msg.clone())
                    }
                    _ => (404, json!({"message": "Unknown Message", "code": 10008})),
                }
            }
            ("PUT", ["channels", t, "thread-members", u]) => {
                let mut st = self.lock();
                match st.threads.get_mut(&num(t)) {
                    Some(th) => {
                        th.1.push(num(u));
                        (204, Value::Null)
                    }
                    None => (404, json!({"message": "Unknown Channel", "code": 10003})),
                }
            }
            _ => {
                self.problem(format!("unexpected call {method} {path}"));
                (404, json!({"message": "404: Not Found", "code": 0}))
            }
        }
    }

    fn original(&self, token: &str) -> Option<u64> {
        self.lock()
            .interactions
            .values()
            .find(|i| i.token == token)
            .and_then(|i| i.original)
    }

    fn set_original(&self, token: &str, message: &Value) {
        let id = message["id"].as_str().and_then(|s| s.parse().ok());
        if let Some(i) = self
            .lock()
            .interactions
            .values_mut()
            .find(|i| i.token == token)
        {
            i.original = i.original.or(id);
        }
    }

    /// Edits a stored message (content, components, embeds) as Discord does.
    fn update_message(&self, id: u64, body: &Value) -> Option<Value> {
        let mut st = self.lock();
        let m = st.messages.get_mut(&id)?;
        for key in ["content", "components", "embeds"] {
            if let Some(v) = body.get(key) {
                m[key] = v.clone();
            }
        }
        Some(m.clone())
    }

    /// Records uploaded files on the message they came with, as Discord
    /// lists attachments.
    fn attach(&self, message: &Value, files: &[(String, Vec<u8>)]) {
        let Some(id) = message["id"].as_str().and_then(|s| s.parse::<u64>().ok()) else {
            return;
        };
        let list: Vec<Value> = files
            .iter()
            .map(|(name, data)| {
                let aid = self.next_id();
                json!({"id": aid.to_string(), "filename": name, "size": data.len(),
                       "url": format!("https://cdn.example/{aid}/{name}"),
                       "proxy_url": format!("https://media.example/{aid}/{name}")})
            })
            .collect();
        if let Some(m) = self.lock().messages.get_mut(&id) {
            m["attachments"] = json!(list);
            if let Err(e) = serde_json::from_value::<serenity::all::Message>(m.clone()) {
                panic!("a message with attachments does not parse: {e}\n{m}");
            }
        }
    }

    fn interaction_channel(&self, token: &str) -> Option<u64> {
        self.lock()
            .interactions
            .values()
            .find(|i| i.token == token)
            .map(|i| i.channel)
    }

    fn callback(&self, id: u64, token: &str, body: &Value) -> (u16, Value) {
        let kind = body["type"].as_u64().unwrap_or(0);
        let message = {
            let mut st = self.lock();
            let Some(i) = st.interactions.get_mut(&id) else {
                return (
                    404,
                    json!({"message": "Unknown interaction", "code": 10062}),
                );
            };
            if i.token != token || i.sent.elapsed() > DEADLINE {
                return (
                    404,
                    json!({"message": "Unknown interaction", "code": 10062}),
                );
            }
            if i.answered {
                return (
                    400,
                    json!({"message": "Interaction has already been acknowledged.", "code": 40060}),
                );
            }
            i.answered = true;
            if matches!(kind, 6 | 7) {
                i.original = i.message;
            }
            (i.message, i.channel)
        };
        let (message, channel) = message;
        let data = &body["data"];
        if matches!(kind, 4 | 7) && self.check_message("callback", data).is_some() {
            return (400, json!({"message": "Invalid Form Body", "code": 50035}));
        }
        if kind == 7 {
            // UPDATE_MESSAGE: edit the message the component sits on.
            if let Some(mid) = message {
                let mut st = self.lock();
                if let Some(m) = st.messages.get_mut(&mid) {
                    for key in ["content", "components", "embeds"] {
                        if let Some(v) = data.get(key) {
                            m[key] = v.clone();
                        }
                    }
                }
            }
        }
        if kind == 4 {
            // CHANNEL_MESSAGE_WITH_SOURCE: a message (often ephemeral) that
            // can carry components a test may click.
            let mid = self.next_id();
            let mut m = self.message_json(
                mid,
                channel,
                None,
                json!({"id": BOT_USER.to_string(), "username": "llo-bot", "discriminator": "0",
                       "bot": true, "avatar": null, "global_name": null}),
                data["content"].as_str().unwrap_or(""),
            );
            if let Some(c) = data.get("components") {
                m["components"] = c.clone();
            }
            let mut st = self.lock();
            st.messages.insert(mid, m);
            st.responses.insert(id, mid);
            if let Some(i) = st.interactions.get_mut(&id) {
                i.original = Some(mid);
            }
        }
        if kind == 9 {
            let title = data["title"].as_str().unwrap_or("");
            if title.is_empty() || title.chars().count() > 45 {
                self.problem(format!("modal title must be 1..45 characters: {title:?}"));
            }
        }
        (204, Value::Null)
    }

    /// Records a message the bot sent and returns it as Discord would.
    fn store_message(&self, channel: u64, body: &Value) -> Value {
        let id = self.next_id();
        let mut m = self.message_json(
            id,
            channel,
            None,
            json!({"id": BOT_USER.to_string(),
            "username": "llo-bot", "discriminator": "0", "bot": true, "avatar": null,
            "global_name": null}),
            body["content"].as_str().unwrap_or(""),
        );
        m["mention_everyone"] = json!(false);
        for key in ["components", "embeds"] {
            if let Some(v) = body.get(key) {
                m[key] = v.clone();
            }
        }
        if let Err(e) = serde_json::from_value::<serenity::all::Message>(m.clone()) {
            self.problem(format!(
                "a stored message does not parse as a Message: {e}\n{m}"
            ));
        }
        self.lock().messages.insert(id, m.clone());
        m
    }

    fn check_commands(&self, body: &Value) {
        let Some(cmds) = body.as_array() else {
            self.problem(format!("commands are not a list: {body}"));
            return;
        };
        // Discord's limits on names (1..32, lowercase) and descriptions
        // (1..100), localized ones included; at most 25 options and choices.
        let name_ok = |v: &Value| {
            v.as_str().is_some_and(|n| {
                (1..=32).contains(&n.chars().count()) && n.to_lowercase() == n && !n.contains(' ')
            })
        };
        let text_ok = |v: &Value| {
            v.as_str()
                .is_some_and(|d| (1..=100).contains(&d.chars().count()))
        };
        let all_ok = |v: &Value, ok: &dyn Fn(&Value) -> bool| {
            v.as_object().is_none_or(|m| m.values().all(ok))
        };
        for c in cmds {
            let options = c["options"].as_array().cloned().unwrap_or_default();
            let options_ok = options.len() <= 25
                && options.iter().all(|o| {
                    let choices = o["choices"].as_array().cloned().unwrap_or_default();
                    name_ok(&o["name"])
                        && text_ok(&o["description"])
                        && all_ok(&o["name_localizations"], &name_ok)
                        && all_ok(&o["description_localizations"], &text_ok)
                        && choices.len() <= 25
                        && choices.iter().all(|ch| {
                            text_ok(&ch["name"]) && all_ok(&ch["name_localizations"], &text_ok)
                        })
                });
            if !name_ok(&c["name"])
                || !text_ok(&c["description"])
                || !all_ok(&c["name_localizations"], &name_ok)
                || !all_ok(&c["description_localizations"], &text_ok)
                || !options_ok
            {
                self.problem(format!("bad command {c}"));
            }
        }
    }

    /// Checks a message body against Discord's limits and our own rule on
    /// mentions. Returns the 400 body when Discord would refuse it.
    fn check_message(&self, where_: &str, m: &Value) -> Option<Value> {
        let mut errors = Vec::new();
        let content = m["content"].as_str().unwrap_or("");
        if content.chars().count() > 2000 {
            errors.push(format!(
                "content has {} characters",
                content.chars().count()
            ));
        }
        let rows = m["components"].as_array().cloned().unwrap_or_default();
        if rows.len() > 5 {
            errors.push(format!("{} action rows", rows.len()));
        }
        let mut ids = std::collections::HashSet::new();
        for row in &rows {
            let comps = row["components"].as_array().cloned().unwrap_or_default();
            if comps.is_empty() || comps.len() > 5 {
                errors.push(format!("a row with {} components", comps.len()));
            }
            for c in &comps {
                if let Some(id) = c["custom_id"].as_str() {
                    if id.is_empty() || id.len() > 100 || !ids.insert(id.to_string()) {
                        errors.push(format!("bad or repeated custom_id {id:?}"));
                    }
                }
                if c["type"] == 2 && c["label"].as_str().unwrap_or("").chars().count() > 80 {
                    errors.push("button label over 80".into());
                }
                if c["type"] == 3 {
                    let n = c["options"].as_array().map(Vec::len).unwrap_or(0);
                    if n == 0 || n > 25 {
                        errors.push(format!("select with {n} options"));
                    }
                    if comps.len() != 1 {
                        errors.push("a select must be alone in its row".into());
                    }
                }
            }
        }
        let embeds = m["embeds"].as_array().cloned().unwrap_or_default();
        if embeds.len() > 10 {
            errors.push(format!("{} embeds", embeds.len()));
        }
        let len = |v: &Value| v.as_str().map(|s| s.chars().count()).unwrap_or(0);
        let mut total = 0;
        for e in &embeds {
            total += len(&e["title"]) + len(&e["description"]);
            for f in e["fields"].as_array().cloned().unwrap_or_default() {
                total += len(&f["name"]) + len(&f["value"]);
                if len(&f["value"]) > 1024 || len(&f["name"]) > 256 {
                    errors.push("embed field too long".into());
                }
            }
            if len(&e["title"]) > 256 || len(&e["description"]) > 4096 {
                errors.push("embed title or description too long".into());
            }
        }
        if total > 6000 {
            errors.push(format!("embeds total {total} characters"));
        }
        if m.get("content").is_some() || !embeds.is_empty() {
            let am = &m["allowed_mentions"];
            let pingable = self.lock().pingable_roles.clone();
            let parses_nothing = am["parse"].as_array().is_some_and(Vec::is_empty)
                && am["users"].as_array().is_none_or(Vec::is_empty)
                && am["roles"].as_array().is_none_or(|r| {
                    r.iter().all(|x| {
                        x.as_str()
                            .and_then(|x| x.parse::<u64>().ok())
                            .or_else(|| x.as_u64())
                            .is_some_and(|x| pingable.contains(&x))
                    })
                });
            if !parses_nothing {
                self.problem(format!(
                    "{where_}: allowed_mentions must parse nothing: {m}"
                ));
            }
        }
        if errors.is_empty() {
            None
        } else {
            self.problem(format!(
                "{where_}: Discord would refuse: {}",
                errors.join("; ")
            ));
            Some(json!({"message": "Invalid Form Body", "code": 50035, "errors": errors}))
        }
    }
}

/// A slash command option value.
pub enum Opt {
    Str(String),
    /// An integer, also how poise sends a choice (its index).
    Int(i64),
    User(u64),
}

/// Parses a `multipart/form-data` body as serenity sends it: the JSON in
/// `payload_json` and the files (`files[n]`, with a file name).
fn multipart(content_type: &str, body: &[u8]) -> Option<(Value, Files)> {
    let boundary = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))?
        .trim_matches('"');
    let delim = format!("--{boundary}");
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
    let attr = |headers: &str, name: &str| -> Option<String> {
        let key = format!("{name}=\"");
        let at = headers.find(&format!("; {key}"))? + 2 + key.len();
        Some(headers[at..].split('"').next()?.to_string())
    };
    let mut rest = &body[find(body, delim.as_bytes())? + delim.len()..];
    let (mut payload, mut files) = (Value::Null, Vec::new());
    while !rest.starts_with(b"--") {
        rest = rest.strip_prefix(b"\r\n")?;
        let end = find(rest, delim.as_bytes())?;
        let part = &rest[..end];
        rest = &rest[end + delim.len()..];
        let split = find(part, b"\r\n\r\n")?;
        let headers = String::from_utf8_lossy(&part[..split]).into_owned();
        let data = &part[split + 4..];
        let data = data.strip_suffix(b"\r\n").unwrap_or(data);
        match (attr(&headers, "name"), attr(&headers, "filename")) {
            (_, Some(file)) => files.push((file, data.to_vec())),
            (Some(n), None) if n == "payload_json" => {
                payload = serde_json::from_slice(data).ok()?
            }
            _ => {}
        }
    }
    Some((payload, files))
}

/// The TLS side of the fake: `discord.com`'s test certificate.
fn tls_acceptor() -> tokio_rustls::TlsAcceptor {
    use tokio_rustls::rustls;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![rustls::pki_types::CertificateDer::from(DISCORD_CERT)],
            rustls::pki_types::PrivateKeyDer::Pkcs8(DISCORD_KEY.into()),
        )
        .unwrap();
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

/// Sends a frame on the live gateway connection.
fn send_live(st: &State, frame: String) {
    let conn = st.gw.conn.as_ref().expect("a live gateway connection");
    let _ = conn.send(WsCmd::Send(frame));
}

fn respond(status: u16, body: Value) -> Response<Full<Bytes>> {
    let bytes = if body.is_null() {
        Bytes::new()
    } else {
        Bytes::from(body.to_string())
    };
    Response::builder()
        .status(StatusCode::from_u16(status).unwrap())
        .header("content-type", "application/json")
        .body(Full::new(bytes))
        .unwrap()
}

// ----- reading bot messages -----

/// Custom ids of all components on a message.
pub fn custom_ids(m: &Value) -> Vec<String> {
    m["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["components"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c["custom_id"].as_str().map(str::to_string))
        .collect()
}

/// The step a message's components answer (from their custom ids).
pub fn step_of(m: &Value) -> Option<String> {
    custom_ids(m)
        .iter()
        .find_map(|id| id.split(':').nth(3).map(str::to_string))
}

/// The custom id on `m` that answers with `choice` (button), if any.
pub fn button(m: &Value, choice: &str) -> String {
    custom_ids(m)
        .into_iter()
        .find(|id| id.starts_with("llo:b:") && id.rsplit(':').next() == Some(choice))
        .unwrap_or_else(|| panic!("no button {choice} on {m}"))
}

/// The select menu's custom id on `m`.
pub fn menu(m: &Value) -> String {
    custom_ids(m)
        .into_iter()
        .find(|id| id.starts_with("llo:s:"))
        .unwrap_or_else(|| panic!("no select menu on {m}"))
}

/// Whether every component on `m` is disabled.
pub fn all_disabled(m: &Value) -> bool {
    m["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["components"].as_array().cloned().unwrap_or_default())
        .all(|c| c["disabled"] == true)
}
