//! The mock Twitch as a server of its own, for running sev against it the way it runs against Twitch: with a
//! client id and secret and Twitch's URLs pointed here (`TWITCH_OAUTH_URL`, `TWITCH_HELIX_URL`). The browser tests
//! on PostgreSQL use it, since sev's built-in demo mode refuses anything but a local SQLite.

use std::net::SocketAddr;

use clap::Parser;

use twitch_mock::{MockClient, MockConfig, MockTwitch};

/// A mock Twitch (OAuth, Helix, EventSub webhooks) for local runs and tests. Anyone can sign in as anyone on it:
/// never expose it beyond this machine.
#[derive(Debug, Parser)]
#[command(name = "twitch-mock", version, about)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:3100")]
    addr: SocketAddr,
    /// The registered application's client id.
    #[arg(long)]
    client_id: String,
    /// The registered application's client secret.
    #[arg(long)]
    client_secret: String,
    /// A redirect URI registered for the application (repeat for several).
    #[arg(long = "redirect-uri", required = true)]
    redirect_uris: Vec<String>,
    /// Where browsers reach this mock (for avatar URLs); default: http://<addr>.
    #[arg(long)]
    public_base: Option<String>,
    /// Accept EventSub callbacks only under this URL prefix (e.g. the app's PUBLIC_URL plus `/`).
    #[arg(long)]
    callbacks_under: Option<String>,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    if !args.addr.ip().is_loopback() {
        eprintln!("twitch-mock: --addr must be a loopback address: anyone who reaches the mock signs in as anyone");
        std::process::exit(2);
    }
    let mock = MockTwitch::new(MockConfig {
        clients: vec![MockClient {
            client_id: args.client_id,
            client_secret: args.client_secret,
            redirect_uris: args.redirect_uris,
        }],
        public_base: args.public_base.unwrap_or_else(|| format!("http://{}", args.addr)),
        callbacks_under: args.callbacks_under,
    });
    let listener = match tokio::net::TcpListener::bind(args.addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("twitch-mock: cannot listen on {}: {e}", args.addr);
            std::process::exit(1);
        }
    };
    println!("twitch-mock listening on http://{}", args.addr);
    if let Err(e) = axum::serve(listener, mock.router()).await {
        eprintln!("twitch-mock: {e}");
        std::process::exit(1);
    }
}
