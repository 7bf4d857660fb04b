use std::process::ExitCode;

use clap::Parser;

use sev::config::{Cli, Command};
use sev::{process, server, telemetry};

#[tokio::main]
async fn main() -> ExitCode {
    // A missing .env is normal; a broken one is reported by the settings it fails to provide.
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let settings = match cli.config.validate() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sev: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings);
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings).await,
    }
}

async fn serve(settings: sev::config::Settings) -> ExitCode {
    if let Err(e) = settings.check_serving() {
        eprintln!("sev: {e}");
        return ExitCode::from(2);
    }
    // Each open page holds a socket: allow as many as the system lets this process have.
    match process::raise_open_files_limit() {
        Ok(limit) => tracing::info!(limit, "open files limit"),
        Err(e) => tracing::warn!(error = %e, "cannot raise the open files limit"),
    }
    let listener = match tokio::net::TcpListener::bind(settings.site_addr).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("sev: cannot listen on LEPTOS_SITE_ADDR {}: {e}", settings.site_addr);
            return ExitCode::FAILURE;
        }
    };
    match server::start(settings, listener, shutdown_signal()).await {
        Ok(running) => match running.wait().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("sev: server error: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("sev: cannot start: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Completes on ctrl-c or SIGTERM, so containers and `cargo leptos watch` stop sev cleanly.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
    tracing::info!("shutting down");
}
