//! Every setting sev has, in one place.
//!
//! Each setting is a flag and an environment variable (a `.env` file is read first, if there is one), so
//! `sev --help` documents them all with their defaults. Clap collects them as text and [`RawConfig::validate`]
//! turns them into typed [`Settings`]: that way a bad value stops start-up with one line that names the
//! environment variable an operator actually set, rather than a flag they never typed.
//!
//! With `SEV_DEMO=1` (and no `TWITCH_CLIENT_ID`) sev runs in demo mode: a mock Twitch is served in-process under
//! `/mock-twitch`, so the whole product works on a laptop with no credentials and no network. Demo mode must be
//! asked for and is refused anywhere it could face the internet.
//!
//! `cli` holds the command line as given (text), `settings` the typed result, and `validate` the one way from
//! the first to the second.

mod cli;
mod error;
mod settings;
mod site;
mod validate;

pub use cli::{Cli, Command, RawConfig};
pub use error::{ConfigError, demo_not_built, invalid, unconfigured};
pub use settings::{CALLBACK_PATH, ConnectionUrl, LogFormat, Secret, Settings, TwitchApp, TwitchMode};
pub use site::{hash_file, hashed_names};
