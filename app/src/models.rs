//! The typed values the server sends to the browser. Serialized with serde on both sides, so a change here is
//! checked by the compiler in both places.

use serde::{Deserialize, Serialize};

/// A Twitch channel sev knows about, as shown on pages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StreamerProfile {
    pub twitch_id: String,
    pub login: String,
    pub display_name: String,
    pub profile_image_url: String,
}

/// Everything the streamer page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamerPageData {
    pub profile: StreamerProfile,
    pub online: bool,
    /// The event time (Unix ms) of the stream.online/offline that set `live`, so the page lets only a newer one
    /// change the badge: Twitch may deliver an offline before its online.
    pub online_changed_at_ms: i64,
    /// The streamer granted sev the broadcaster scopes, so their private events show too.
    pub connected: bool,
    /// Why sev cannot listen to everything right now (e.g. Twitch's subscription limit), for viewers.
    pub problem: Option<String>,
    /// The signed-in viewer is this streamer, so the page offers "Connect your channel".
    pub viewer_is_streamer: bool,
    /// Demo mode: the page offers to fill the feed with sample events.
    pub demo: bool,
    /// The newest events, newest first.
    pub events: Vec<crate::events::FeedEvent>,
    /// Every host the site is served on, for the embeds' `parent`.
    pub embed_parents: Vec<String>,
    /// The server's clock when the page was made, so "2 min ago" reads the same before and after hydration.
    pub now_ms: i64,
}

/// The signed-in person looking at the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Viewer {
    pub twitch_id: String,
    pub login: String,
    pub display_name: String,
    pub profile_image_url: String,
    pub favorite: Option<StreamerProfile>,
}

/// The answer to "make this my favorite streamer". A refusal the viewer can fix is a normal answer, not an
/// error, so the form can show it next to the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FavoriteOutcome {
    Saved { login: String },
    Refused { message: String },
}

/// Why a sign-in did not complete; carried in the failure page's URL as `?reason=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInFailure {
    Denied,
    StateMissing,
    StateMismatch,
    StateUnknown,
    StateExpired,
    InvalidCode,
    TwitchTimeout,
    TwitchUnavailable,
    /// "Connect your channel" was authorized by another Twitch account than the signed-in one.
    WrongAccount,
    Unexpected,
}

impl SignInFailure {
    pub const ALL: [SignInFailure; 10] = [
        SignInFailure::Denied,
        SignInFailure::StateMissing,
        SignInFailure::StateMismatch,
        SignInFailure::StateUnknown,
        SignInFailure::StateExpired,
        SignInFailure::InvalidCode,
        SignInFailure::TwitchTimeout,
        SignInFailure::TwitchUnavailable,
        SignInFailure::WrongAccount,
        SignInFailure::Unexpected,
    ];

    /// The value used in the URL.
    pub fn code(self) -> &'static str {
        match self {
            SignInFailure::Denied => "denied",
            SignInFailure::StateMissing => "state_missing",
            SignInFailure::StateMismatch => "state_mismatch",
            SignInFailure::StateUnknown => "state_unknown",
            SignInFailure::StateExpired => "state_expired",
            SignInFailure::InvalidCode => "invalid_code",
            SignInFailure::TwitchTimeout => "twitch_timeout",
            SignInFailure::TwitchUnavailable => "twitch_unavailable",
            SignInFailure::WrongAccount => "wrong_account",
            SignInFailure::Unexpected => "unexpected",
        }
    }

    pub fn from_code(code: &str) -> SignInFailure {
        Self::ALL.into_iter().find(|f| f.code() == code).unwrap_or(SignInFailure::Unexpected)
    }

    /// A heading and an explanation for the person who tried to sign in.
    pub fn explain(self) -> (&'static str, &'static str) {
        match self {
            SignInFailure::Denied => (
                "You did not sign in",
                "Twitch says you chose not to let sev use your account. Nothing was saved. You can sign in \
                 whenever you like.",
            ),
            SignInFailure::StateMissing => (
                "This sign-in link is incomplete",
                "The answer from Twitch lacked the check sev added to it, so sev could not trust it. Please \
                 start signing in again from sev.",
            ),
            SignInFailure::StateMismatch => (
                "This sign-in was started in another browser",
                "For your safety, a sign-in must finish in the same browser where it began. Please start \
                 again here.",
            ),
            SignInFailure::StateUnknown => (
                "This sign-in link was already used",
                "Each sign-in link works once. If you reloaded the page or went back, just start again.",
            ),
            SignInFailure::StateExpired => {
                ("This sign-in took too long", "Sign-in links expire after ten minutes. Please start again.")
            }
            SignInFailure::InvalidCode => (
                "Twitch did not accept the sign-in",
                "The code Twitch gave back was refused, perhaps because it was already used. Please start \
                 again.",
            ),
            SignInFailure::TwitchTimeout => {
                ("Twitch is slow right now", "Twitch did not answer in time. Please try again in a moment.")
            }
            SignInFailure::TwitchUnavailable => {
                ("Twitch is unavailable right now", "sev could not reach Twitch. Please try again in a moment.")
            }
            SignInFailure::WrongAccount => (
                "That was another Twitch account",
                "To connect your channel, authorize sev with the same Twitch account you are signed in with.",
            ),
            SignInFailure::Unexpected => (
                "Sign-in did not complete",
                "Something unexpected happened on the way back from Twitch. Please try again.",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_failure_round_trips_through_its_code() {
        for f in SignInFailure::ALL {
            assert_eq!(SignInFailure::from_code(f.code()), f);
        }
        assert_eq!(SignInFailure::from_code("<script>"), SignInFailure::Unexpected);
    }
}
