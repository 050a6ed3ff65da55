//! The `dockcfg` command: parse arguments, run, print the error chain once, exit.

use clap::Parser;
use dockcfg::exit::{Exit, FileError};

fn main() {
    let env = dockcfg::settings::Env::read();
    // clap prints usage errors itself and exits with 2 (help and version with 0).
    let cli = dockcfg::cli::Cli::parse();
    let settings = dockcfg::settings::Settings::from_cli(cli, &env);
    let code = match dockcfg::commands::run(&settings, &env) {
        Ok(exit) => exit,
        Err(err) => {
            if let Some(file_err) = err.downcast_ref::<FileError>() {
                eprintln!("{file_err}");
            } else {
                eprintln!("error: {err:#}");
            }
            Exit::for_error(&err)
        }
    };
    std::process::exit(code.code());
}
