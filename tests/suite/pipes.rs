//! A closed pipe (`llo-intake eval --json | head`, `export 2>&1 | head`)
//! ends the command quietly with exit 0, never with a panic (exit 101).

use crate::privacy_support::{cmd, day, seed_full};
use llo_intake::app::store::Store;
use std::process::{ExitStatus, Stdio};

/// Runs the binary with stdout (and, with `stderr_too`, stderr) going to a
/// pipe whose reading end is closed before the command writes.
fn closed_pipe(args: &[&str], stderr_too: bool) -> (ExitStatus, String) {
    let mut c = cmd();
    c.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    drop(child.stdout.take());
    let err = if stderr_too {
        drop(child.stderr.take());
        String::new()
    } else {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut s).unwrap();
        s
    };
    (child.wait().unwrap(), err)
}

#[test]
fn eval_and_classify_into_a_closed_pipe_exit_zero() {
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/concerns.jsonl");
    for args in [
        vec!["eval", data, "--json"],
        vec!["eval", data],
        vec!["classify", "--explain", "we vinden geen personeel"],
    ] {
        let (status, err) = closed_pipe(&args, false);
        assert_eq!(status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert!(!err.contains("Broken pipe"), "{args:?}: {err}");
    }
}

#[test]
fn export_into_a_closed_pipe_exits_zero_also_with_stderr_closed() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        for i in 0..20 {
            seed_full(
                &store,
                &format!("u{i}"),
                day(i),
                "we vinden geen personeel",
                "Utrecht",
            );
        }
    }
    let db = dir.path().to_str().unwrap();
    for format in ["csv", "jsonl", "markdown"] {
        let (status, err) = closed_pipe(&["export", "--db", db, "--format", format], false);
        assert_eq!(status.code(), Some(0), "{format}: {err}");
        assert!(!err.contains("panicked"), "{format}: {err}");
        let (status, _) = closed_pipe(&["export", "--db", db, "--format", format], true);
        assert_eq!(status.code(), Some(0), "{format} with stderr closed");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_write_error_is_said_once() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(dir.path()).unwrap();
        seed_full(&store, "u1", day(1), "we vinden geen personeel", "Utrecht");
    }
    let db = dir.path().to_str().unwrap();
    // /dev/full: every write fails with "No space left on device".
    let full = std::fs::File::options()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let o = cmd()
        .args(["export", "--db", db, "--format", "csv"])
        .stdout(full)
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(err.matches("No space left on device").count(), 1, "{err}");
}
