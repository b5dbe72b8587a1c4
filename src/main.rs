use std::process::ExitCode;

fn main() -> ExitCode {
    dirready::cli::main()
}
