//! The `llo-intake` binary; everything is in [`llo_intake::cli`].

fn main() -> std::process::ExitCode {
    llo_intake::cli::main()
}
