//! The typed EventSub events sev shows, shared by the server (which parses and stores them) and the browser
//! (which renders them).
//!
//! [`Event::parse`] reads Twitch's `event` object leniently and never fails: whatever it cannot make sense of
//! becomes [`Event::Other`]. [`Event::summary`] turns an event into one short line of plain text; the UI escapes
//! it like any other text, so nothing here builds HTML.

use serde::{Deserialize, Serialize};

mod parse;
#[cfg(test)]
mod tests;
mod time;

pub use time::parse_rfc3339_ms;

/// The longest summary [`Event::summary`] returns, in characters.
pub const MAX_SUMMARY_CHARS: usize = 200;
/// User-written text (chat messages, reward input) is cut to this many characters inside a summary.
const MAX_MESSAGE_CHARS: usize = 100;
/// Titles (stream, poll, prediction, reward) are cut to this many characters inside a summary.
const MAX_TITLE_CHARS: usize = 100;
/// Names are cut to this many characters inside a summary (Twitch's own are at most 25).
const MAX_NAME_CHARS: usize = 50;

/// What kind of thing happened, for icons, colours and filtering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventCategory {
    Online,
    Offline,
    Update,
    Raid,
    Follow,
    Subscription,
    Cheer,
    Redemption,
    HypeTrain,
    Poll,
    Prediction,
    Ad,
    Shoutout,
    Other,
}

impl EventCategory {
    pub const ALL: [EventCategory; 14] = [
        EventCategory::Online,
        EventCategory::Offline,
        EventCategory::Update,
        EventCategory::Raid,
        EventCategory::Follow,
        EventCategory::Subscription,
        EventCategory::Cheer,
        EventCategory::Redemption,
        EventCategory::HypeTrain,
        EventCategory::Poll,
        EventCategory::Prediction,
        EventCategory::Ad,
        EventCategory::Shoutout,
        EventCategory::Other,
    ];

    /// The serialized name (`"online"`, `"hypetrain"`, …), also usable in CSS class names and URLs.
    pub fn key(self) -> &'static str {
        match self {
            EventCategory::Online => "online",
            EventCategory::Offline => "offline",
            EventCategory::Update => "update",
            EventCategory::Raid => "raid",
            EventCategory::Follow => "follow",
            EventCategory::Subscription => "subscription",
            EventCategory::Cheer => "cheer",
            EventCategory::Redemption => "redemption",
            EventCategory::HypeTrain => "hypetrain",
            EventCategory::Poll => "poll",
            EventCategory::Prediction => "prediction",
            EventCategory::Ad => "ad",
            EventCategory::Shoutout => "shoutout",
            EventCategory::Other => "other",
        }
    }

    /// A short name for people, e.g. on a filter button.
    pub fn label(self) -> &'static str {
        match self {
            EventCategory::Online => "Live",
            EventCategory::Offline => "Offline",
            EventCategory::Update => "Title",
            EventCategory::Raid => "Raid",
            EventCategory::Follow => "Follow",
            EventCategory::Subscription => "Sub",
            EventCategory::Cheer => "Cheer",
            EventCategory::Redemption => "Reward",
            EventCategory::HypeTrain => "Hype train",
            EventCategory::Poll => "Poll",
            EventCategory::Prediction => "Prediction",
            EventCategory::Ad => "Ad break",
            EventCategory::Shoutout => "Shoutout",
            EventCategory::Other => "Event",
        }
    }

    /// One emoji per category (each a single code point, so it renders the same everywhere).
    pub fn icon(self) -> &'static str {
        match self {
            EventCategory::Online => "🔴",
            EventCategory::Offline => "⚫",
            EventCategory::Update => "📝",
            EventCategory::Raid => "🚀",
            EventCategory::Follow => "💜",
            EventCategory::Subscription => "⭐",
            EventCategory::Cheer => "💎",
            EventCategory::Redemption => "🎁",
            EventCategory::HypeTrain => "🚂",
            EventCategory::Poll => "📊",
            EventCategory::Prediction => "🔮",
            EventCategory::Ad => "📺",
            EventCategory::Shoutout => "📣",
            EventCategory::Other => "🔔",
        }
    }
}

/// One parsed event: one variant per supported EventSub type, plus [`Event::Other`] for everything else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Event {
    /// `stream.online`; `id` is the stream's (what tells a repeat from a new stream), `stream_type` is `live`,
    /// `playlist`, `watch_party`, `premiere` or `rerun`.
    StreamOnline { id: Option<String>, stream_type: String, started_at: Option<String> },
    /// `stream.offline`.
    StreamOffline,
    /// `channel.update` (v2, or v1 when it fits).
    ChannelUpdate { title: String, category_name: String, language: String },
    /// `channel.raid`, in either direction; compare the IDs with the streamer's to tell which.
    Raid {
        from_id: String,
        from_login: String,
        from_name: String,
        to_id: String,
        to_login: String,
        to_name: String,
        viewers: u64,
    },
    /// `channel.follow` v2.
    Follow { user_name: String, user_login: String },
    /// `channel.subscribe`; `tier` is Twitch's `"1000"`, `"2000"` or `"3000"`.
    Subscribe { user_name: String, tier: String, is_gift: bool },
    /// `channel.subscription.message` (a resub shared in chat).
    SubscriptionMessage {
        user_name: String,
        tier: String,
        cumulative_months: u64,
        streak_months: Option<u64>,
        message: String,
    },
    /// `channel.subscription.gift`; no name or running total for anonymous gifters.
    SubscriptionGift {
        user_name: Option<String>,
        tier: String,
        total: u64,
        cumulative_total: Option<u64>,
        is_anonymous: bool,
    },
    /// `channel.cheer`; no name for anonymous cheerers.
    Cheer { user_name: Option<String>, is_anonymous: bool, bits: u64, message: String },
    /// `channel.channel_points_custom_reward_redemption.add`.
    Redemption { user_name: String, reward_title: String, reward_cost: u64, user_input: String },
    /// `channel.hype_train.begin` (v2, or the v1 shape). `total` counts every point of the train, `goal` is the
    /// current level's goal.
    HypeTrainBegin { level: u64, total: u64, goal: u64 },
    /// `channel.hype_train.progress` (v2, or the v1 shape).
    HypeTrainProgress { level: u64, total: u64, goal: u64 },
    /// `channel.hype_train.end` (v2, or the v1 shape).
    HypeTrainEnd { level: u64, total: u64 },
    /// `channel.poll.begin`: the choices' titles.
    PollBegin { title: String, choices: Vec<String> },
    /// `channel.poll.progress`: the leading choice, if one has more votes than every other.
    PollProgress { title: String, leader: Option<String> },
    /// `channel.poll.end`: the choice with the most votes (none on a tie); `status` is `completed`,
    /// `terminated` or `archived`.
    PollEnd { title: String, winner: Option<String>, status: String },
    /// `channel.prediction.begin`: the outcomes' titles.
    PredictionBegin { title: String, outcomes: Vec<String> },
    /// `channel.prediction.progress`: the outcome with the most channel points, if one has more than every other.
    PredictionProgress { title: String, leader: Option<String> },
    /// `channel.prediction.lock`.
    PredictionLock { title: String },
    /// `channel.prediction.end`: the winning outcome's title; `status` is `resolved` or `canceled`.
    PredictionEnd { title: String, winner: Option<String>, status: String },
    /// `channel.ad_break.begin`.
    AdBreak { duration_seconds: u64, is_automatic: bool },
    /// `channel.shoutout.create`: the streamer gave a shoutout in front of `viewer_count` viewers.
    ShoutoutCreate { to_name: String, viewer_count: u64 },
    /// `channel.shoutout.receive`: the streamer got a shoutout from a channel with `viewer_count` viewers.
    ShoutoutReceive { from_name: String, viewer_count: u64 },
    /// `user.authorization.revoke`: the user took back sev's access; `user_login` is absent if the account is gone.
    AuthorizationRevoke { user_id: String, user_login: Option<String> },
    /// Any other type or version, or a supported one whose payload did not fit.
    Other { subscription_type: String, version: String },
}

impl Event {
    /// Reads the `event` object of an EventSub notification. Never fails: a known type whose payload does not
    /// fit (or an unknown type or version) becomes [`Event::Other`]. Missing optional fields get defaults,
    /// `null`s (anonymous cheers and gifts) are handled, numbers and booleans sent as strings are accepted and
    /// unknown extra fields are ignored.
    pub fn parse(subscription_type: &str, version: &str, event: &serde_json::Value) -> Event {
        parse::parse(subscription_type, version, event)
    }

    pub fn category(&self) -> EventCategory {
        match self {
            Event::StreamOnline { .. } => EventCategory::Online,
            Event::StreamOffline => EventCategory::Offline,
            Event::ChannelUpdate { .. } => EventCategory::Update,
            Event::Raid { .. } => EventCategory::Raid,
            Event::Follow { .. } => EventCategory::Follow,
            Event::Subscribe { .. } | Event::SubscriptionMessage { .. } | Event::SubscriptionGift { .. } => {
                EventCategory::Subscription
            }
            Event::Cheer { .. } => EventCategory::Cheer,
            Event::Redemption { .. } => EventCategory::Redemption,
            Event::HypeTrainBegin { .. } | Event::HypeTrainProgress { .. } | Event::HypeTrainEnd { .. } => {
                EventCategory::HypeTrain
            }
            Event::PollBegin { .. } | Event::PollProgress { .. } | Event::PollEnd { .. } => EventCategory::Poll,
            Event::PredictionBegin { .. }
            | Event::PredictionProgress { .. }
            | Event::PredictionLock { .. }
            | Event::PredictionEnd { .. } => EventCategory::Prediction,
            Event::AdBreak { .. } => EventCategory::Ad,
            Event::ShoutoutCreate { .. } | Event::ShoutoutReceive { .. } => EventCategory::Shoutout,
            Event::AuthorizationRevoke { .. } | Event::Other { .. } => EventCategory::Other,
        }
    }

    /// A short, plain-text, human summary of at most [`MAX_SUMMARY_CHARS`] characters, written to follow the
    /// streamer's name ("went live") or to stand alone ("Cool_User followed"). User-written text is cut with
    /// "…" and control characters become spaces; nothing is escaped, that is the UI's job.
    ///
    /// `streamer_id` is the channel whose feed shows the event: it decides whether a raid came in or went out.
    pub fn summary(&self, streamer_id: &str) -> String {
        let text = match self {
            Event::StreamOnline { stream_type, .. } => match stream_type.trim() {
                "" | "live" => "went live".to_owned(),
                other => format!("went live ({})", clip(&other.replace('_', " "), MAX_NAME_CHARS)),
            },
            Event::StreamOffline => "went offline".to_owned(),
            Event::ChannelUpdate { title, category_name, .. } => {
                let title = clip(title.trim(), MAX_TITLE_CHARS);
                let category = clip(category_name.trim(), MAX_NAME_CHARS);
                match (title.is_empty(), category.is_empty()) {
                    (false, false) => format!("changed the title: {title} · {category}"),
                    (false, true) => format!("changed the title: {title}"),
                    (true, false) => format!("changed the category: {category}"),
                    (true, true) => "cleared the title".to_owned(),
                }
            }
            Event::Raid { from_id, from_login, from_name, to_id, to_login, to_name, viewers } => {
                let viewers = plural(*viewers, "viewer", "viewers");
                let from = display_name(from_name, from_login, from_id);
                let to = display_name(to_name, to_login, to_id);
                if to_id == streamer_id && from_id != streamer_id {
                    format!("{from} raided with {viewers}")
                } else if from_id == streamer_id && to_id != streamer_id {
                    format!("Raided {to} with {viewers}")
                } else {
                    format!("{from} raided {to} with {viewers}")
                }
            }
            Event::Follow { user_name, user_login } => {
                format!("{} followed", display_name(user_name, user_login, "Someone"))
            }
            Event::Subscribe { user_name, tier, is_gift } => {
                let user = clip(user_name, MAX_NAME_CHARS);
                let tier = tier_label(tier);
                if *is_gift { format!("{user} was gifted a {tier} sub") } else { format!("{user} subscribed ({tier})") }
            }
            Event::SubscriptionMessage { user_name, tier, cumulative_months, message, .. } => {
                let user = clip(user_name, MAX_NAME_CHARS);
                let tier = tier_label(tier);
                let head = match cumulative_months {
                    0 => format!("{user} resubscribed ({tier})"),
                    months => format!("{user} resubscribed for {} ({tier})", plural(*months, "month", "months")),
                };
                with_message(head, message)
            }
            Event::SubscriptionGift { user_name, tier, total, cumulative_total, is_anonymous } => {
                let gifter = match user_name {
                    Some(name) if !is_anonymous => clip(name, MAX_NAME_CHARS),
                    _ => "An anonymous gifter".to_owned(),
                };
                let noun = if *total == 1 { "sub" } else { "subs" };
                let head = format!("{gifter} gifted {total} {} {noun}", tier_label(tier));
                match cumulative_total {
                    Some(all) if !is_anonymous && *all > *total => format!("{head} ({all} in total)"),
                    _ => head,
                }
            }
            Event::Cheer { user_name, is_anonymous, bits, message } => {
                let cheerer = match user_name {
                    Some(name) if !is_anonymous => clip(name, MAX_NAME_CHARS),
                    _ => "An anonymous cheerer".to_owned(),
                };
                with_message(format!("{cheerer} cheered {}", plural(*bits, "bit", "bits")), message)
            }
            Event::Redemption { user_name, reward_title, reward_cost, user_input } => {
                let head = format!(
                    "{} redeemed {} ({})",
                    clip(user_name, MAX_NAME_CHARS),
                    clip(reward_title.trim(), MAX_TITLE_CHARS),
                    plural(*reward_cost, "point", "points")
                );
                with_message(head, user_input)
            }
            Event::HypeTrainBegin { level, total, goal } => {
                format!("Hype train started: {}", hype_train_progress(*level, *total, *goal))
            }
            Event::HypeTrainProgress { level, total, goal } => {
                format!("Hype train: {}", hype_train_progress(*level, *total, *goal))
            }
            Event::HypeTrainEnd { level, total } => {
                format!("Hype train ended at level {level} with {}", plural(*total, "point", "points"))
            }
            Event::PollBegin { title, .. } => format!("Poll started: {}", clip(title.trim(), MAX_TITLE_CHARS)),
            Event::PollProgress { title, leader } => {
                with_outcome(format!("Poll: {}", clip(title.trim(), MAX_TITLE_CHARS)), leader.as_deref(), "leads")
            }
            Event::PollEnd { title, winner, status } => {
                let title = clip(title.trim(), MAX_TITLE_CHARS);
                match status.as_str() {
                    "archived" => format!("Poll archived: {title}"),
                    "terminated" => with_outcome(format!("Poll ended early: {title}"), winner.as_deref(), "won"),
                    _ => with_outcome(format!("Poll ended: {title}"), winner.as_deref(), "won"),
                }
            }
            Event::PredictionBegin { title, .. } => {
                format!("Prediction started: {}", clip(title.trim(), MAX_TITLE_CHARS))
            }
            Event::PredictionProgress { title, leader } => {
                with_outcome(format!("Prediction: {}", clip(title.trim(), MAX_TITLE_CHARS)), leader.as_deref(), "leads")
            }
            Event::PredictionLock { title } => format!("Prediction locked: {}", clip(title.trim(), MAX_TITLE_CHARS)),
            Event::PredictionEnd { title, winner, status } => {
                let title = clip(title.trim(), MAX_TITLE_CHARS);
                match status.as_str() {
                    "canceled" | "cancelled" => format!("Prediction canceled: {title}"),
                    _ => with_outcome(format!("Prediction ended: {title}"), winner.as_deref(), "won"),
                }
            }
            Event::AdBreak { duration_seconds, is_automatic } => {
                let kind = if *is_automatic { "An automatic ad break" } else { "An ad break" };
                format!("{kind} of {duration_seconds} s began")
            }
            Event::ShoutoutCreate { to_name, viewer_count } => format!(
                "Gave {} a shoutout in front of {}",
                clip(to_name, MAX_NAME_CHARS),
                plural(*viewer_count, "viewer", "viewers")
            ),
            Event::ShoutoutReceive { from_name, viewer_count } => format!(
                "Got a shoutout from {} in front of {}",
                clip(from_name, MAX_NAME_CHARS),
                plural(*viewer_count, "viewer", "viewers")
            ),
            Event::AuthorizationRevoke { user_id, user_login } => match user_login {
                Some(login) if !login.trim().is_empty() => {
                    format!("{} revoked sev's access", clip(login, MAX_NAME_CHARS))
                }
                _ => format!("User {} revoked sev's access", clip(user_id, MAX_NAME_CHARS)),
            },
            Event::Other { subscription_type, .. } => {
                format!("sent a {} event", clip(subscription_type, MAX_TITLE_CHARS))
            }
        };
        clip(&text, MAX_SUMMARY_CHARS)
    }
}

/// An EventSub `event` object, read once: the event, and its own time (Unix ms) if its payload carries one:
/// `started_at` (online, hype train/poll/prediction begin, ad break, shoutouts), `followed_at`, `redeemed_at`,
/// `locked_at`, `ended_at` (end events). No time if the type has no such field (progress events only carry their
/// start), or it is absent or unparseable.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub event: Event,
    pub occurred_at_ms: Option<i64>,
}

impl Reading {
    pub fn of(subscription_type: &str, version: &str, event: &serde_json::Value) -> Reading {
        Reading {
            event: parse::parse(subscription_type, version, event),
            occurred_at_ms: parse::event_time_ms(subscription_type, event),
        }
    }
}

/// The event's own time alone (see [`Reading`]).
pub fn event_time_ms(subscription_type: &str, event: &serde_json::Value) -> Option<i64> {
    parse::event_time_ms(subscription_type, event)
}

/// One stored event as the feed shows it; sent from the server to the browser (SSR and WebSocket).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedEvent {
    /// Storage sequence number: increases with each stored event; the WebSocket resumes after it.
    pub id: i64,
    pub streamer_id: String,
    pub subscription_type: String,
    pub version: String,
    /// When it happened (Unix ms).
    pub occurred_at_ms: i64,
    pub event: Event,
}

impl FeedEvent {
    /// A stored event as the feed shows it: `payload` is Twitch's `event` object as stored. A payload that is not
    /// JSON (it never should be) reads as [`Event::Other`] rather than failing the page.
    pub fn read(
        id: i64,
        streamer_id: String,
        subscription_type: String,
        version: String,
        occurred_at_ms: i64,
        payload: &str,
    ) -> FeedEvent {
        let payload = serde_json::from_str(payload).unwrap_or(serde_json::Value::Null);
        FeedEvent {
            id,
            event: Event::parse(&subscription_type, &version, &payload),
            streamer_id,
            subscription_type,
            version,
            occurred_at_ms,
        }
    }

    pub fn summary(&self) -> String {
        self.event.summary(&self.streamer_id)
    }

    pub fn category(&self) -> EventCategory {
        self.event.category()
    }
}

/// At most `max` characters of `text`, ending in "…" if it was cut; control characters (newlines, tabs, …)
/// become spaces so a summary stays on one line.
fn clip(text: &str, max: usize) -> String {
    let clean = |c: char| if c.is_control() { ' ' } else { c };
    if text.chars().count() <= max {
        return text.chars().map(clean).collect();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).map(clean).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

/// `head`, then ": " and the user's message if there is one.
fn with_message(head: String, message: &str) -> String {
    let message = message.trim();
    if message.is_empty() { head } else { format!("{head}: {}", clip(message, MAX_MESSAGE_CHARS)) }
}

/// `head`, then " — <outcome> <verb>" if there is an outcome.
fn with_outcome(head: String, outcome: Option<&str>, verb: &str) -> String {
    match outcome.map(str::trim).filter(|o| !o.is_empty()) {
        Some(outcome) => format!("{head} — {} {verb}", clip(outcome, MAX_TITLE_CHARS)),
        None => head,
    }
}

/// The first non-blank of a display name, a login and a fallback, cut to a sensible length.
fn display_name(name: &str, login: &str, fallback: &str) -> String {
    let chosen = [name, login].into_iter().find(|s| !s.trim().is_empty()).unwrap_or(fallback);
    clip(chosen, MAX_NAME_CHARS)
}

/// "1 viewer", "9001 viewers".
fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "Tier 1" for `"1000"` (which Twitch also sends for Prime subs), "Tier 2", "Tier 3"; anything else as sent.
fn tier_label(tier: &str) -> String {
    match tier.trim() {
        "" | "1000" => "Tier 1".to_owned(),
        "2000" => "Tier 2".to_owned(),
        "3000" => "Tier 3".to_owned(),
        other => clip(other, 20),
    }
}

/// "level 1, 27% to the next level", or "level 3, 1234 points" where the fields cannot tell the progress
/// within the level: `total` counts the whole train, so it matches the level's progress only on level 1.
fn hype_train_progress(level: u64, total: u64, goal: u64) -> String {
    if level <= 1 && goal > 0 {
        let percent = (total.saturating_mul(100) / goal).min(100);
        format!("level {level}, {percent}% to the next level")
    } else {
        format!("level {level}, {}", plural(total, "point", "points"))
    }
}
