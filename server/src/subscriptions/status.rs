//! The statuses sev itself gives a subscription, beside Twitch's own.

/// Statuses sev gives a subscription Twitch would not create.
pub const QUOTA_EXCEEDED: &str = "quota_exceeded";
/// Helix's rate limit (800 points a minute) was reached: nothing is wrong with the subscription itself, and the
/// next reconcile creates it.
pub const RATE_LIMITED: &str = "rate_limited";
pub const NOT_AUTHORIZED: &str = "not_authorized";
pub const CREATE_FAILED: &str = "create_failed";
