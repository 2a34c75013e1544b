//! `servicedesk`: the server and its admin commands.

use anyhow::{Result, anyhow};
use clap::{Parser, Subcommand};
use servicedesk::{Config, Workers, build, http_server, seed_demo};

// glibc's malloc keeps what a burst freed (each argon2 hash is 19 MiB, and it raises its
// own mmap threshold to that size after the first), so the server's resident memory only
// grew; mimalloc returns freed pages to the system (docs/performance.md, "Memory").
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Servicedesk: an IT service desk (incidents, SLAs, teams, roles) in one binary, on an
/// embedded SQLite file by default or PostgreSQL with DATABASE_URL.
#[derive(Debug, Parser)]
#[command(name = "servicedesk", version, about, long_about = None)]
struct Cli {
    /// postgres://… or a SQLite file (default ./servicedesk-data/servicedesk.db).
    #[arg(long, global = true, env = "DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Log as JSON lines.
    #[arg(long, global = true, env = "SERVICEDESK_LOG_JSON")]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP API and the background workers (migrates first).
    Serve {
        /// Listen address.
        #[arg(long, env = "SERVICEDESK_BIND")]
        bind: Option<String>,
        /// Seed demo teams, people and incidents.
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the OpenAPI 3 document and exit.
    Openapi,
    /// Create a user in the default organization (or --org).
    CreateUser {
        /// Login address.
        #[arg(long)]
        email: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// admin, manager, agent, requester or a custom role.
        #[arg(long, default_value = "agent")]
        role: String,
        /// Password (else read from SERVICEDESK_NEW_USER_PASSWORD).
        #[arg(long, env = "SERVICEDESK_NEW_USER_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Key maintenance.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// The hash-chained audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// Seal every stored TOTP and webhook secret again with the current sealing key (the
    /// first of SERVICEDESK_SECRET_KEYS); afterwards the retired keys can be dropped.
    Reseal,
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Recompute every organization's hash chain (or one's, with --org); exits non-zero
    /// naming the first entry whose hash or link does not hold.
    Verify {
        /// Only this organization's chain.
        #[arg(long)]
        org: Option<uuid::Uuid>,
    },
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,actix_server=warn".into());
    if cli.log_json {
        tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    match cli.command {
        Command::Openapi => {
            let doc = <servicedesk_http::openapi::ApiDoc as utoipa::OpenApi>::openapi();
            println!("{}", serde_json::to_string_pretty(&doc)?);
            Ok(())
        }
        Command::Migrate => {
            let config = Config::from_env(cli.database_url, None)?;
            let store = servicedesk_store::Store::connect(&config.database_url, 1)
                .map_err(|e| anyhow!("{e}"))?;
            let applied = store.database().migrate().map_err(|e| anyhow!("{e}"))?;
            println!("{} migration(s) applied", applied.len());
            Ok(())
        }
        Command::CreateUser {
            email,
            name,
            role,
            password,
        } => {
            let config = Config::from_env(cli.database_url, None)?;
            let built = build(&config)?;
            let account = servicedesk_core::ports::AccountStore::find_by_email(
                &*built.store,
                &config.admin_email,
            )
            .map_err(|e| anyhow!("the first admin is missing: {e}"))?;
            let admin = built
                .state
                .auth
                .actor_for(&account)
                .map_err(|e| anyhow!("{e}"))?;
            let user = built
                .state
                .admin
                .create_user(
                    &admin,
                    servicedesk_core::identity::NewUser {
                        email,
                        name,
                        password,
                        role,
                        org_id: None,
                        team_ids: vec![],
                    },
                )
                .map_err(|e| anyhow!("{e}"))?;
            println!("created {} ({})", user.email, user.id);
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify { org },
        } => audit_verify(
            &servicedesk::config::database_url(cli.database_url),
            org.map(servicedesk_core::ids::OrgId),
        ),
        Command::Keys {
            command: KeysCommand::Reseal,
        } => {
            let config = Config::from_env(cli.database_url, None)?;
            let done = servicedesk::reseal_secrets(&config)?;
            println!(
                "resealed {} TOTP secret(s) and {} webhook secret(s) with the current key",
                done.totp, done.webhooks
            );
            Ok(())
        }
        Command::Serve { bind, demo } => {
            let config = Config::from_env(cli.database_url, bind)?;
            serve(config, demo)
        }
    }
}

/// `servicedesk audit verify`: prints one line per intact chain; the first broken one is
/// the error (exit status 1).
fn audit_verify(database_url: &str, org: Option<servicedesk_core::ids::OrgId>) -> Result<()> {
    let store = std::sync::Arc::new(
        servicedesk_store::Store::connect(database_url, 1).map_err(|e| anyhow!("{e}"))?,
    );
    let trail = servicedesk_core::identity::AuditTrail::new(store.clone(), store);
    let checks = trail.verify_all(org).map_err(|e| anyhow!("{e}"))?;
    for (org, check) in checks {
        match check {
            servicedesk_core::ports::AuditCheck::Intact { entries } => {
                println!("organization {org}: {entries} audit entries, chain intact");
            }
            servicedesk_core::ports::AuditCheck::Broken { seq, reason } => {
                return Err(anyhow!(
                    "organization {org}: audit entry {seq} is broken: {reason}"
                ));
            }
        }
    }
    Ok(())
}

#[actix_web::main]
async fn serve(config: Config, demo: bool) -> Result<()> {
    let built = build(&config)?;
    if let Some((email, generated)) = &built.first_admin {
        match generated {
            Some(password) => println!(
                "First start: created admin {email} with password {password} (shown once; change it)"
            ),
            None => println!(
                "First start: created admin {email} (password from SERVICEDESK_ADMIN_PASSWORD)"
            ),
        }
    }
    if demo {
        seed_demo(&built, &config)?;
        println!(
            "Demo data: agent@demo.local, manager@demo.local, requester@demo.local (password demo-password-1)"
        );
    }
    let mut workers = Workers::start(&built);
    workers.listen_feed(&built, &config.database_url)?;
    let (server, addrs) = http_server(
        built.state.clone(),
        built.console.clone(),
        &config,
        &config.bind,
    )?;
    // On SIGINT/SIGTERM close the live-feed sockets, so they do not hold up the graceful
    // stop actix starts on the same signals.
    close_feed_on_signal(&built.state.feed);
    for addr in &addrs {
        println!("Servicedesk listening on http://{addr} (API docs at /api/docs)");
    }
    println!(
        "Open {}/ in a browser and sign in (the console; SERVICEDESK_PUBLIC_URL sets this address)",
        config.public_url.trim_end_matches('/')
    );
    // actix handles SIGINT/SIGTERM: stops accepting, lets in-flight requests finish.
    let result = server.await;
    workers.stop();
    result.map_err(|e| anyhow!("server failed: {e}"))
}

/// On SIGINT or SIGTERM, closes the live feed's sockets.
fn close_feed_on_signal(hub: &std::sync::Arc<servicedesk_http::feed::FeedHub>) {
    let on_int = hub.clone();
    actix_web::rt::spawn(async move {
        if actix_web::rt::signal::ctrl_c().await.is_ok() {
            on_int.close();
        }
    });
    #[cfg(unix)]
    {
        use actix_web::rt::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            let on_term = hub.clone();
            actix_web::rt::spawn(async move {
                if term.recv().await.is_some() {
                    on_term.close();
                }
            });
        }
    }
}
