//! The Servicedesk binary: the composition root where adapters meet the core.
//!
//! The server, workers and admin subcommands arrive with the store and HTTP issues; for
//! now the binary describes itself.

use clap::Parser;

/// Servicedesk: an IT service desk (incidents, requests, problems, changes, SLAs) in one
/// binary, on an embedded SQLite file by default or PostgreSQL in production.
#[derive(Debug, Parser)]
#[command(name = "servicedesk", version, about, long_about = None)]
struct Cli {}

fn main() {
    // With no subcommands yet, clap answers --help and --version and rejects anything else.
    let Cli {} = Cli::parse();
    let mut help = <Cli as clap::CommandFactory>::command();
    // Printing help can only fail on a closed stdout, where there is nobody to tell.
    let _ = help.print_help();
}
