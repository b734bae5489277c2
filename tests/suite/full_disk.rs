//! A full disk during a turn: the turn is not acknowledged, the person is
//! told (content `not_saved`) and stays at the same question, however often
//! they send it again; the bot keeps running; once there is space, the next
//! start goes on from the last saved turn with no manual step.
//!
//! The console test makes a real write fail: the console binary runs with
//! its file size limit lowered to one byte mid-conversation (`prlimit`, with
//! SIGXFSZ ignored, so sled's writes get EFBIG as on a full disk). The
//! Discord test uses the store's seam for the same failure.

use crate::privacy_support::cmd;
use crate::support;

use llo_intake::content::text::Lang;
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const CONCERNS: &str = "we vinden geen personeel en mensen vertrekken";
const WAIT: Duration = Duration::from_secs(60);

fn not_saved() -> String {
    support::bot::knowledge().msg("not_saved", Lang::Nl)
}

struct Console {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<Value>,
}

impl Console {
    /// The console binary on `db`, with SIGXFSZ ignored (so a file size
    /// limit makes writes fail with EFBIG instead of killing it).
    fn start(db: &Path) -> Console {
        Console::start_logging_to(db, Stdio::piped())
    }

    /// [`Console::start`] with its log (stderr) going to `log`.
    fn start_logging_to(db: &Path, log: impl Into<Stdio>) -> Console {
        let mut c = cmd();
        c.args([
            "console",
            "--db",
            db.to_str().unwrap(),
            "--jsonl",
            "--user",
            "disk",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(log);
        #[cfg(target_os = "linux")]
        {
            use std::os::unix::process::CommandExt;
            // SAFETY: only async-signal-safe calls between fork and exec.
            unsafe {
                c.pre_exec(|| {
                    libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
                    Ok(())
                });
            }
        }
        let mut child = c.spawn().unwrap();
        let stdin = child.stdin.take();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                let v = serde_json::from_str(&line).unwrap_or(Value::String(line));
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        Console {
            child,
            stdin,
            lines,
        }
    }

    fn say(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().unwrap();
        writeln!(stdin, "{text}").unwrap();
        stdin.flush().unwrap();
    }

    fn next(&mut self) -> Value {
        match self.lines.recv_timeout(WAIT) {
            Ok(v) => v,
            Err(_) => {
                let _ = self.child.kill();
                panic!("the console answers (it exited or hangs)");
            }
        }
    }

    /// The next question's step; earlier messages are skipped.
    fn question(&mut self) -> String {
        loop {
            let v = self.next();
            if v["kind"] == "question" {
                return v["step"].as_str().unwrap_or("").to_string();
            }
        }
    }

    /// Nothing more within a moment.
    fn quiet(&self) {
        if let Ok(v) = self.lines.recv_timeout(Duration::from_millis(1500)) {
            panic!("nothing more was to be shown, got {v}");
        }
    }

    /// Sets the console's file size limit (soft; the hard one stays).
    #[cfg(target_os = "linux")]
    fn file_size_limit(&self, bytes: Option<u64>) {
        let limit = libc::rlimit {
            rlim_cur: bytes.unwrap_or(libc::RLIM_INFINITY),
            rlim_max: libc::RLIM_INFINITY,
        };
        let pid = self.child.id() as libc::pid_t;
        // SAFETY: plain syscall on a child we own, with a valid struct.
        let rc = unsafe { libc::prlimit(pid, libc::RLIMIT_FSIZE, &limit, std::ptr::null_mut()) };
        assert_eq!(rc, 0, "prlimit: {}", std::io::Error::last_os_error());
    }

    /// Ends its input; returns how it ended and what it wrote to stderr.
    fn end(mut self) -> (std::process::ExitStatus, String) {
        drop(self.stdin.take());
        let out = self.child.wait_with_output().unwrap();
        (
            out.status,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// Consents, then the disk fills up: the answer to the concerns question
/// gets `not_saved`.
#[cfg(target_os = "linux")]
fn full_at_concerns(console: &mut Console) {
    assert_eq!(console.question(), "consent");
    console.say("ja");
    assert_eq!(console.question(), "concerns");
    // The disk fills up: no write of the console reaches it any more.
    console.file_size_limit(Some(1));
    console.say(CONCERNS);
    let m = console.next();
    assert_eq!(m["kind"], "message", "{m}");
    assert_eq!(m["text"].as_str(), Some(not_saved().as_str()), "{m}");
    assert_eq!(m["step"], "concerns", "{m}");
}

/// The next start, with space: where the last saved turn left it.
#[cfg(target_os = "linux")]
fn goes_on_at_concerns(db: &Path) {
    let mut console = Console::start(db);
    assert_eq!(console.question(), "concerns");
    console.say(CONCERNS);
    assert_eq!(console.question(), "confirm");
    let (status, stderr) = console.end();
    assert!(status.success(), "{stderr}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_turn_the_disk_cannot_take_is_not_acknowledged_and_the_next_start_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let mut console = Console::start(&db);
    full_at_concerns(&mut console);
    console.quiet();
    // Sent again, it is still not taken for the answer to the next question.
    console.say(CONCERNS);
    assert_eq!(console.next()["text"].as_str(), Some(not_saved().as_str()));
    console.quiet();
    // Space is back; sled takes nothing more until a restart.
    console.file_size_limit(None);
    console.say(CONCERNS);
    assert_eq!(console.next()["text"].as_str(), Some(not_saved().as_str()));
    console.quiet();
    let (status, stderr) = console.end();
    assert!(
        !status.success(),
        "the operator learns that turns were lost"
    );
    assert!(stderr.contains("the disk is full"), "{stderr}");
    assert!(
        !stderr.contains("restore") && !stderr.contains("move it"),
        "no advice to move intact data aside: {stderr}"
    );
    goes_on_at_concerns(&db);
}

/// The log is a file on the same full disk: a log line that cannot be
/// written is dropped, and the turn still gets its answer (a panic in
/// sled's I/O thread used to leave the flush waiting forever).
#[cfg(target_os = "linux")]
#[test]
fn a_log_on_the_full_disk_does_not_hang_the_turn() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("db");
    let log = std::fs::File::create(tmp.path().join("log")).unwrap();
    let mut console = Console::start_logging_to(&db, log);
    full_at_concerns(&mut console);
    console.file_size_limit(None);
    let (status, _) = console.end();
    assert!(!status.success());
    goes_on_at_concerns(&db);
}

mod discord {
    use super::*;
    use support::bot::{config, knowledge, open_store, Chat, Running};
    use support::Fake;

    const ANNA: u64 = 7301;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_turn_that_is_not_saved_keeps_the_person_at_the_same_question() {
        let fake = Fake::start().await;
        let dir = tempfile::tempdir().unwrap();
        let store = open_store(dir.path()).await;
        let hooks = llo_intake::discord::Hooks::default();
        let ops = llo_intake::discord::Operations::default();
        let bot =
            Running::start_on(&fake, config(&fake), store.clone(), hooks, ops, knowledge()).await;
        let mut chat = Chat::new(&fake, Fake::dm_channel(ANNA));
        fake.dm(ANNA, "hoi");
        chat.question("consent").await;
        fake.dm(ANNA, "ja");
        chat.question("concerns").await;

        // The write of the next turn fails after sled applied it in memory.
        let mark = fake.mark();
        store.fail_next_flush();
        fake.dm(ANNA, CONCERNS);
        let m = chat.next().await;
        assert_eq!(m["content"].as_str(), Some(not_saved().as_str()), "{m}");
        // Sent again: not taken for the answer to the question after it.
        fake.dm(ANNA, CONCERNS);
        let m = chat.next().await;
        assert_eq!(m["content"].as_str(), Some(not_saved().as_str()), "{m}");
        fake.dm(ANNA, "ja");
        let m = chat.next().await;
        assert_eq!(m["content"].as_str(), Some(not_saved().as_str()), "{m}");
        fake.assert_clean();
        // The bot keeps running: it answered each, and said nothing else.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let channel = Fake::dm_channel(ANNA);
        let sent = fake.calls()[mark..]
            .iter()
            .filter(|c| c.posts_in(channel))
            .count();
        assert_eq!(sent, 3, "three times not_saved, nothing else");
        // There is room on the disk: the bot stops with the error, so that
        // its supervisor starts it again (sled writes again after a restart).
        let err = tokio::time::timeout(Duration::from_secs(60), bot.ended())
            .await
            .expect("the bot stops by itself once there is room");
        assert!(format!("{err:#}").contains("the disk is full"), "{err:#}");
    }
}
