//! The `llo-intake` binary; everything is in [`llo_intake::cli`].

fn main() -> std::process::ExitCode {
    // First of all: glibc fixes its arena limit when a second thread first
    // allocates (sled's and the runtime's threads come later).
    llo_intake::discord::memory::limit_arenas();
    llo_intake::cli::main()
}
