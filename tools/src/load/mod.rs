//! `sev-tools load`: a load test of running sev instances, end to end, through the same doors Twitch and browsers use.
//!
//! It sets streamers up through sev's real sign-in (against the mock Twitch), opens WebSocket clients on their
//! feeds, sends correctly signed `channel.update` webhooks at a fixed rate, and then checks that every client
//! received every accepted event of its streamer exactly once. Each event's title carries its sequence number,
//! so a frame's arrival can be matched with the moment its webhook was sent: that is the end-to-end latency a
//! viewer sees. The targets' `/metrics` are read before and after the clients connect, for memory per socket.
//!
//! [`load`] is the command; [`prepare`] (setup) and [`run`] (the load itself) are separate so tests can drive a
//! server they started themselves.

mod clients;
mod ledger;
mod pacing;
mod pages;
mod report;
mod scrape;
mod setup;
mod storm;
mod webhooks;

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use tokio::sync::watch;
use url::Url;

use twitch::eventsub::catalog::{self, SubscriptionSpec};

use sev::config::Settings;
use sev::storage::{Db, StorageError};

pub use report::{LoadReport, Memory};
pub use setup::{Streamer, set_up_streamers};

#[derive(Debug, Clone, Args)]
pub struct LoadArgs {
    /// Base URL of a sev instance to load (repeatable). Webhooks and WebSocket clients are spread round-robin over
    /// the targets, which must share one database. Default: PUBLIC_URL.
    #[arg(long = "target", value_name = "URL")]
    pub targets: Vec<String>,
    /// WebSocket clients to open, spread evenly over the streamers.
    #[arg(long, default_value_t = 100)]
    pub clients: usize,
    /// Streamers to send events for; each is signed in and picked through the mock Twitch.
    #[arg(long, default_value_t = 10)]
    pub streamers: usize,
    /// Webhooks per second, over all targets.
    #[arg(long, default_value_t = 200)]
    pub rate: u32,
    /// How long to send webhooks, in seconds.
    #[arg(long, default_value_t = 10)]
    pub duration_secs: u64,
    /// Longest wait for frames still on their way after the last webhook was answered, in seconds.
    #[arg(long, default_value_t = 5)]
    pub drain_secs: u64,
    /// Wait after opening the clients before reading the targets' memory, in seconds.
    #[arg(long, default_value_t = 2)]
    pub settle_secs: u64,
    /// Streamer pages per second to render while the webhooks flow (anonymous GET /streamer/<login>), over all
    /// targets; 0 renders none.
    #[arg(long, default_value_t = 0)]
    pub page_rate: u32,
    /// Most webhook requests awaiting an answer at once. When all are, sending falls behind --rate.
    #[arg(long, default_value_t = 64)]
    pub max_in_flight: usize,
    /// The secret to sign with; by default sev's EVENTSUB_SECRET (in demo mode, the one stored in its database).
    #[arg(short = 's', long)]
    pub secret: Option<String>,
    /// The WebSockets' Origin header; by default each target's own origin. sev accepts only its PUBLIC_URL's.
    #[arg(long)]
    pub origin: Option<String>,
    /// Login prefix of the streamers used (`loadstreamer0`, `loadstreamer1`, …).
    #[arg(long, default_value = "loadstreamer")]
    pub streamer_prefix: String,
    /// After the run, a reconnect storm: as many resuming sockets as --clients, opened at once, each timed until
    /// its catch-up arrives (what happens when an instance stops and its pages move to the others).
    #[arg(long)]
    pub storm: bool,
    /// Print the result as JSON on stdout instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Why a load could not be run (as opposed to a run that found problems, which is a [`LoadReport`]).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{0}")]
    Invalid(String),
    #[error("setting up {login}: {problem}")]
    Setup { login: String, problem: String },
    #[error("cannot read sev's database (DATABASE_URL): {0}")]
    Storage(#[from] StorageError),
    #[error("{0}")]
    Secret(String),
    #[error("HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

/// Everything a run needs, set up.
#[derive(Debug, Clone)]
pub struct Plan {
    pub targets: Vec<Url>,
    /// Where the webhooks go, when not to `targets` (empty): a fault test sends them to an instance it kills,
    /// and keeps the clients on the one that survives.
    pub webhook_targets: Vec<Url>,
    /// `None`: each target's own origin.
    pub origin: Option<String>,
    pub streamers: Vec<Streamer>,
    pub clients: usize,
    pub rate: u32,
    /// Streamer pages per second, alongside the webhooks; 0 for none.
    pub page_rate: u32,
    pub duration: Duration,
    pub drain: Duration,
    pub settle: Duration,
    pub max_in_flight: usize,
    pub secret: String,
    /// Ends with a reconnect storm.
    pub storm: bool,
}

/// More events than this would make the ledger (a few bytes per event) unreasonably large.
const MAX_EVENTS: u64 = 10_000_000;

impl Plan {
    /// Webhooks the run sends.
    pub fn total_events(&self) -> u64 {
        u64::from(self.rate) * self.duration.as_secs()
    }

    /// The instances the webhooks go to.
    pub fn webhook_targets(&self) -> &[Url] {
        if self.webhook_targets.is_empty() { &self.targets } else { &self.webhook_targets }
    }

    /// The Origin header for WebSockets on `target`.
    fn origin_for(&self, target: &Url) -> String {
        self.origin.clone().unwrap_or_else(|| target.origin().ascii_serialization())
    }
}

/// The subscription whose events the load sends: public (every picked streamer has it), and never merged by a
/// dedupe key, so every message is a distinct event.
pub fn event_spec() -> &'static SubscriptionSpec {
    catalog::STREAMER_SUBSCRIPTIONS
        .iter()
        .find(|s| s.kind == "channel.update")
        .expect("sev subscribes to channel.update")
}

/// Which of `targets` item `i` (a webhook by sequence number, or a client by index) goes to. Plain `i % targets`
/// would send all of one streamer's events to one target whenever the counts share a factor; shifting by one
/// every round of streamers makes each streamer's events and clients reach every target.
fn spread(i: usize, streamers: usize, targets: usize) -> usize {
    (i + i / streamers.max(1)) % targets.max(1)
}

fn parse_target(raw: &str) -> Result<Url, LoadError> {
    let url = Url::parse(raw.trim()).map_err(|e| LoadError::Invalid(format!("--target {raw:?} is not a URL: {e}")))?;
    match url.scheme() {
        "http" => Ok(url),
        "https" => Err(LoadError::Invalid(format!(
            "--target {raw}: https targets are not supported (the WebSocket clients speak plain ws://); load the \
             instances directly over http"
        ))),
        _ => Err(LoadError::Invalid(format!("--target {raw:?} must be an http:// URL"))),
    }
}

/// Checks the arguments, finds the secret, and sets the streamers up on the first target.
pub async fn prepare(settings: &Settings, args: &LoadArgs) -> Result<Plan, LoadError> {
    let invalid = |m: &str| Err(LoadError::Invalid(m.to_string()));
    if args.clients == 0 || args.streamers == 0 || args.rate == 0 || args.duration_secs == 0 {
        return invalid("--clients, --streamers, --rate and --duration-secs must be at least 1");
    }
    if args.max_in_flight == 0 {
        return invalid("--max-in-flight must be at least 1");
    }
    if u64::from(args.rate) * args.duration_secs > MAX_EVENTS {
        return invalid("--rate × --duration-secs must be at most 10 000 000 webhooks");
    }
    let logins: Vec<String> = (0..args.streamers).map(|i| format!("{}{i}", args.streamer_prefix)).collect();
    for login in &logins {
        if let Err(e) = app::login::normalize_login(login) {
            return Err(LoadError::Invalid(format!("--streamer-prefix gives the login {login:?}: {e}")));
        }
    }
    let targets = if args.targets.is_empty() {
        vec![parse_target(settings.public_url.as_str())?]
    } else {
        args.targets.iter().map(|t| parse_target(t)).collect::<Result<_, _>>()?
    };
    let secret = match &args.secret {
        Some(s) => s.clone(),
        None => crate::trigger::sev_secret(settings).await.map_err(LoadError::Secret)?,
    };
    let db = Db::open(&settings.database_url, 2).await?;
    progress(format_args!("setting up {} streamers on {}", logins.len(), targets[0]));
    let streamers = set_up_streamers(&targets[0], &db, &logins).await?;
    Ok(Plan {
        targets,
        webhook_targets: Vec::new(),
        origin: args.origin.clone(),
        streamers,
        clients: args.clients,
        rate: args.rate,
        page_rate: args.page_rate,
        duration: Duration::from_secs(args.duration_secs),
        drain: Duration::from_secs(args.drain_secs),
        settle: Duration::from_secs(args.settle_secs),
        max_in_flight: args.max_in_flight,
        secret,
        storm: args.storm,
    })
}

/// Runs the load: clients, webhooks, drain, and the report.
pub async fn run(plan: &Plan) -> Result<LoadReport, LoadError> {
    if plan.streamers.is_empty() || plan.targets.is_empty() || plan.clients == 0 || plan.total_events() == 0 {
        return Err(LoadError::Invalid("a load needs streamers, targets, clients and events".into()));
    }
    match sev::process::raise_open_files_limit() {
        Ok(limit) if (limit as usize) < plan.clients + 256 => {
            progress(format_args!("warning: this process may open only {limit} files, fewer than the clients need"))
        }
        Ok(_) => {}
        Err(e) => progress(format_args!("warning: cannot raise the open files limit: {e}")),
    }
    let http = webhooks::http_client(plan.max_in_flight)?;
    let run_id = format!("{:08x}", rand::random::<u32>());
    let ledger = Arc::new(ledger::Ledger::new(plan.total_events(), plan.streamers.len()));

    let memory_before = scrape::sample_all(&http, &plan.targets).await;
    let (stop, stopped) = watch::channel(false);
    progress(format_args!("opening {} WebSockets", plan.clients));
    let clients = clients::open(plan, &run_id, ledger.clone(), stopped).await;
    tokio::time::sleep(plan.settle).await;
    let memory_after = scrape::sample_all(&http, &plan.targets).await;

    progress(format_args!(
        "sending {} webhooks at {}/s for {} s",
        plan.total_events(),
        plan.rate,
        plan.duration.as_secs()
    ));
    let (sent, pages) = tokio::join!(webhooks::send(plan, &http, &run_id, ledger.clone()), pages::read(plan, &http));

    let expected: u64 = clients.connected_streamers().map(|s| ledger.accepted_for(s)).sum();
    drain(&ledger, expected, plan.drain).await;
    let _ = stop.send(true);
    let outcomes = clients.finish().await;
    let mut report = report::build(plan, &ledger, &sent, &outcomes, &memory_before, &memory_after);
    report.add_pages(plan, &pages);
    if plan.storm {
        progress(format_args!("reconnect storm: {} resuming sockets at once", plan.clients));
        report.add_storm(storm::run(plan, &http).await);
    }
    Ok(report)
}

/// Waits until as many first deliveries arrived as were expected (then a moment more, for late duplicates), or
/// at most `longest`.
async fn drain(ledger: &ledger::Ledger, expected: u64, longest: Duration) {
    const LATE_DUPLICATES: Duration = Duration::from_millis(300);
    let deadline = Instant::now() + longest;
    while Instant::now() < deadline {
        if ledger.first_deliveries() >= expected {
            tokio::time::sleep(LATE_DUPLICATES.min(deadline.saturating_duration_since(Instant::now()))).await;
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Progress goes to stderr, so `--json` leaves stdout to the result.
fn progress(message: std::fmt::Arguments<'_>) {
    eprintln!("sev-tools load: {message}");
}

/// `sev-tools load`: true when nothing was lost or duplicated and nothing failed.
pub async fn load(settings: &Settings, args: &LoadArgs) -> Result<bool, String> {
    let plan = prepare(settings, args).await.map_err(|e| e.to_string())?;
    let report = run(&plan).await.map_err(|e| e.to_string())?;
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.table());
    }
    Ok(report.ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_streamer_reaches_every_target() {
        let (streamers, targets) = (10, 2);
        for streamer in 0..streamers {
            let reached: std::collections::BTreeSet<usize> =
                (0..100).filter(|i| i % streamers == streamer).map(|i| spread(i, streamers, targets)).collect();
            assert_eq!(reached.len(), targets, "streamer {streamer} reaches only {reached:?}");
        }
        let per_target = (0..100).filter(|i| spread(*i, streamers, targets) == 0).count();
        assert_eq!(per_target, 50, "the load is shared evenly");
        assert!((0..10).all(|i| spread(i, 3, 1) == 0), "one target takes everything");
    }

    #[test]
    fn targets_must_be_plain_http() {
        assert!(parse_target("http://127.0.0.1:3000").is_ok());
        assert!(matches!(parse_target("https://sev.example.com"), Err(LoadError::Invalid(m)) if m.contains("https")));
        assert!(parse_target("localhost:3000").is_err());
    }

    #[test]
    fn the_load_uses_the_channel_update_version_sev_subscribes_to() {
        let spec = event_spec();
        assert_eq!(spec.kind, "channel.update");
        assert_eq!(spec.access, catalog::Access::Public, "every picked streamer has it, without connecting");
    }
}
