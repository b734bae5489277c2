//! Any bytes as a content file of a deployment's own directory: loading
//! reports problems (with file and key) and never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use llo_intake::content::Content;

fuzz_target!(|data: &[u8]| {
    let Ok(dir) = tempfile::tempdir() else { return };
    if std::fs::write(dir.path().join("extra.toml"), data).is_err() {
        return;
    }
    let _ = Content::load(&[dir.path().to_path_buf()], &[]);
});
