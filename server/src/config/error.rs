//! The one error the settings have: which variable, and what is wrong with its value.

use std::fmt;

/// A setting that was given a value sev cannot use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The environment variable, as the operator knows it.
    pub variable: &'static str,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.variable, self.problem)
    }
}

impl std::error::Error for ConfigError {}

pub fn invalid(variable: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError { variable, problem: problem.into() }
}

/// Why settings without a Twitch application cannot serve.
pub fn unconfigured() -> ConfigError {
    invalid(
        "TWITCH_CLIENT_ID",
        "is required (with TWITCH_CLIENT_SECRET, EVENTSUB_SECRET and SESSION_KEY); for a local demo against a mock \
         Twitch instead, set SEV_DEMO=1",
    )
}

/// Why `SEV_DEMO=1` cannot serve from a build without the mock (a release build, say).
pub fn demo_not_built() -> ConfigError {
    invalid(
        "SEV_DEMO",
        "this sev was built without the demo (cargo feature `demo`; scripts/run builds it in): unset SEV_DEMO and \
         set TWITCH_CLIENT_ID",
    )
}
