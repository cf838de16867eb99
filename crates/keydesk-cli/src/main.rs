//! The `keydesk` binary: parse the command line, set up logging, run, map errors to exit codes.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = keydesk_cli::Cli::parse();
    keydesk_cli::init_tracing(cli.verbose);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("keydesk: cannot start the async runtime: {error}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(keydesk_cli::run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("keydesk: {error:#}");
            ExitCode::from(1)
        }
    }
}
