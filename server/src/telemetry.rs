//! Structured logs. Request spans carry the method and the path only: query strings can hold OAuth codes and
//! states, which must never reach a log.

use tracing_subscriber::EnvFilter;

use crate::config::{LogFormat, Settings};

/// Installs the global subscriber. Safe to call more than once (later calls do nothing), which tests rely on.
/// Logs go to stderr, so that the output of commands such as `sev-tools load --json` stays machine-readable.
pub fn init(settings: &Settings) {
    let filter = EnvFilter::try_new(&settings.log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match settings.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// The span for one HTTP request.
pub fn request_span<B>(request: &http::Request<B>) -> tracing::Span {
    tracing::info_span!("http", method = %request.method(), path = %request.uri().path())
}
