//! sev's tools, kept out of the server binary: `trigger` and `verify-subscription` (the Twitch CLI's `event
//! trigger` and `event verify-subscription`, against sev or any callback), `subscriptions` (the operator's listing
//! of what sev keeps at Twitch) and `load` (a load test of running instances). They read the same settings as the
//! server (`sev::config`) and, where they need it, its database.

pub mod load;
pub mod subscriptions;
pub mod trigger;
