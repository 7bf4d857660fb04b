use std::process::ExitCode;

use clap::{Parser, Subcommand};

use sev::config::RawConfig;
use sev::telemetry;
use sev_tools::{load, subscriptions, trigger};

/// sev's tools: send EventSub test messages, list subscriptions, load-test running instances. They read the
/// server's settings (flags and environment), so they run beside an instance with its configuration.
#[derive(Debug, Parser)]
#[command(name = "sev-tools", version, about)]
struct Cli {
    #[command(flatten)]
    config: RawConfig,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Send signed EventSub test messages to a callback, like `twitch event trigger`.
    Trigger(trigger::TriggerArgs),
    /// Send a verification challenge and check the answer, like `twitch event verify-subscription`.
    VerifySubscription(trigger::VerifyArgs),
    /// Print the EventSub subscriptions sev keeps and their status.
    Subscriptions,
    /// Load-test running sev instances: WebSocket clients, signed webhooks at a fixed rate, a delivery check.
    Load(load::LoadArgs),
}

#[tokio::main]
async fn main() -> ExitCode {
    // A missing .env is normal; a broken one is reported by the settings it fails to provide.
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    let settings = match cli.config.validate() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("sev-tools: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(&settings);
    let result = match cli.command {
        Command::Trigger(args) => trigger::trigger(&settings, &args).await,
        Command::VerifySubscription(args) => trigger::verify_subscription(&args).await,
        Command::Subscriptions => subscriptions::print(&settings).await,
        Command::Load(args) => load::load(&settings, &args).await,
    };
    // 0 when all went well, 1 when a check failed, 2 when the command could not run.
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("sev-tools: {e}");
            ExitCode::from(2)
        }
    }
}
