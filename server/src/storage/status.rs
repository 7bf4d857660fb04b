//! The status of a subscription sev keeps: Twitch's own (what Helix and revocations say) and the few sev gives a
//! subscription Twitch has not created. Stored as its text, so the database stays readable and a status Twitch
//! adds one day is kept as sent rather than lost.

use std::fmt;

/// One subscription's status.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SubscriptionStatus {
    /// sev claimed the subscription and is asking Twitch for it.
    Requesting,
    /// Twitch created it and sent the challenge; sev has not answered it yet.
    VerificationPending,
    /// Twitch delivers its events.
    Enabled,
    /// Twitch would not create it: `max_total_cost` reached. Viewers are told.
    QuotaExceeded,
    /// Helix's rate limit (800 points a minute) was reached: nothing is wrong with the subscription itself, and
    /// the next reconcile creates it.
    RateLimited,
    /// The streamer has not granted the scope the type needs.
    NotAuthorized,
    /// Creating it failed otherwise (the error is kept beside it).
    CreateFailed,
    /// Storage had it alive but Twitch's list did not.
    Missing,
    /// Revoked by Twitch: the streamer took sev's authorization back.
    AuthorizationRevoked,
    /// Revoked by Twitch: the streamer's account is gone.
    UserRemoved,
    /// Revoked by Twitch: the callback failed too often.
    NotificationFailuresExceeded,
    /// Revoked by Twitch: the type's version was retired.
    VersionRemoved,
    /// Revoked by Twitch: the moderator it needed is no longer one.
    ModeratorRemoved,
    /// Revoked by Twitch: a beta type under maintenance.
    BetaMaintenance,
    /// Revoked, with no reason given.
    Revoked,
    /// A status sev does not know, kept as Twitch sent it.
    Other(String),
}

use SubscriptionStatus::*;

/// Every status with a name of its own, for parsing.
const NAMED: [SubscriptionStatus; 15] = [
    Requesting,
    VerificationPending,
    Enabled,
    QuotaExceeded,
    RateLimited,
    NotAuthorized,
    CreateFailed,
    Missing,
    AuthorizationRevoked,
    UserRemoved,
    NotificationFailuresExceeded,
    VersionRemoved,
    ModeratorRemoved,
    BetaMaintenance,
    Revoked,
];

impl SubscriptionStatus {
    /// The text stored and sent: Twitch's spelling for Twitch's statuses.
    pub fn as_str(&self) -> &str {
        match self {
            Requesting => "requesting",
            VerificationPending => "webhook_callback_verification_pending",
            Enabled => "enabled",
            QuotaExceeded => "quota_exceeded",
            RateLimited => "rate_limited",
            NotAuthorized => "not_authorized",
            CreateFailed => "create_failed",
            Missing => "missing",
            AuthorizationRevoked => "authorization_revoked",
            UserRemoved => "user_removed",
            NotificationFailuresExceeded => "notification_failures_exceeded",
            VersionRemoved => "version_removed",
            ModeratorRemoved => "moderator_removed",
            BetaMaintenance => "beta_maintenance",
            Revoked => "revoked",
            Other(text) => text,
        }
    }

    /// Alive or about to be: it must not be created again. The storage statements that claim a subscription
    /// spell these three out in SQL (`status NOT IN (…)`); a test keeps the two in step.
    pub fn is_active(&self) -> bool {
        matches!(self, Requesting | VerificationPending | Enabled)
    }

    /// Twitch has it and will deliver (once verified).
    pub fn is_at_twitch(&self) -> bool {
        matches!(self, VerificationPending | Enabled)
    }

    /// Twitch revoked it; it may still have notifications in flight, which must not bring it back.
    pub fn is_revoked(&self) -> bool {
        matches!(
            self,
            AuthorizationRevoked
                | UserRemoved
                | NotificationFailuresExceeded
                | VersionRemoved
                | ModeratorRemoved
                | BetaMaintenance
                | Revoked
        )
    }

    /// Twitch refused to create it for lack of room (cost or rate): viewers are told why their feed is quiet.
    pub fn is_quota_problem(&self) -> bool {
        matches!(self, QuotaExceeded | RateLimited)
    }
}

impl From<&str> for SubscriptionStatus {
    fn from(text: &str) -> Self {
        NAMED.into_iter().find(|s| s.as_str() == text).unwrap_or_else(|| Other(text.to_string()))
    }
}

/// Rows are read as text; sqlx's `query_as!` converts each column with `Into`.
impl From<String> for SubscriptionStatus {
    fn from(text: String) -> Self {
        match Self::from(text.as_str()) {
            Other(_) => Other(text),
            named => named,
        }
    }
}

impl fmt::Display for SubscriptionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_status_reads_back_as_itself_and_unknown_text_is_kept() {
        for status in NAMED {
            assert_eq!(SubscriptionStatus::from(status.as_str().to_string()), status);
        }
        let new = SubscriptionStatus::from("conduit_deleted");
        assert_eq!(new, Other("conduit_deleted".into()));
        assert_eq!(new.as_str(), "conduit_deleted");
        assert!(!new.is_active() && !new.is_revoked());
    }

    #[test]
    fn the_sql_that_claims_a_subscription_names_exactly_the_active_statuses() {
        let sql = include_str!("subscriptions.rs");
        let active: Vec<&str> = NAMED.iter().filter(|s| s.is_active()).map(|s| s.as_str()).collect();
        let listed = format!("status NOT IN ('{}')", active.join("', '"));
        assert_eq!(sql.matches(&listed).count(), 2, "both dialects' claim must list {active:?}");
        assert_eq!(sql.matches("status NOT IN").count(), 2);
    }
}
