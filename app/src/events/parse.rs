//! Lenient reading of EventSub `event` objects into [`Event`].
//!
//! Twitch's payloads change over time and its documentation examples are not always well typed (the ad break
//! example sends numbers and booleans as strings), so every field is read by hand: strings and numbers are
//! accepted for each other where that is unambiguous, `null` counts as missing, unknown fields are ignored.
//! Each type names the few fields without which the event makes no sense; if one of them is missing the whole
//! event becomes [`Event::Other`]. Every other field falls back to a default.

use serde_json::{Map, Value};

use super::Event;
use super::time::parse_rfc3339_ms;

type Object = Map<String, Value>;

/// The versions of each type that [`Event::parse`] understands.
fn is_supported(subscription_type: &str, version: &str) -> bool {
    matches!(
        (subscription_type, version),
        ("stream.online", "1")
            | ("stream.offline", "1")
            | ("channel.update", "1" | "2")
            | ("channel.raid", "1")
            | ("channel.follow", "2")
            | ("channel.subscribe", "1")
            | ("channel.subscription.message", "1")
            | ("channel.subscription.gift", "1")
            | ("channel.cheer", "1")
            | ("channel.channel_points_custom_reward_redemption.add", "1")
            | ("channel.hype_train.begin" | "channel.hype_train.progress" | "channel.hype_train.end", "1" | "2")
            | ("channel.poll.begin" | "channel.poll.progress" | "channel.poll.end", "1")
            | (
                "channel.prediction.begin"
                    | "channel.prediction.progress"
                    | "channel.prediction.lock"
                    | "channel.prediction.end",
                "1"
            )
            | ("channel.ad_break.begin", "1")
            | ("channel.shoutout.create" | "channel.shoutout.receive", "1")
            | ("user.authorization.revoke", "1")
    )
}

pub(super) fn parse(subscription_type: &str, version: &str, event: &Value) -> Event {
    let parsed = match event {
        Value::Object(ev) if is_supported(subscription_type, version) => parse_object(subscription_type, ev),
        _ => None,
    };
    parsed.unwrap_or_else(|| Event::Other {
        subscription_type: subscription_type.to_owned(),
        version: version.to_owned(),
    })
}

fn parse_object(subscription_type: &str, ev: &Object) -> Option<Event> {
    let event = match subscription_type {
        "stream.online" => Event::StreamOnline {
            id: text(ev, "id").filter(|id| !id.is_empty()),
            stream_type: text(ev, "type").filter(|t| !t.is_empty()).unwrap_or_else(|| "live".to_owned()),
            started_at: text(ev, "started_at"),
        },
        "stream.offline" => Event::StreamOffline,
        "channel.update" => Event::ChannelUpdate {
            title: text(ev, "title")?,
            category_name: text(ev, "category_name").unwrap_or_default(),
            language: text(ev, "language").unwrap_or_default(),
        },
        "channel.raid" => {
            let from_id = text(ev, "from_broadcaster_user_id")?;
            let to_id = text(ev, "to_broadcaster_user_id")?;
            let from_login = text(ev, "from_broadcaster_user_login").unwrap_or_default();
            let to_login = text(ev, "to_broadcaster_user_login").unwrap_or_default();
            Event::Raid {
                from_name: name(ev, &["from_broadcaster_user_name"]).unwrap_or_else(|| fallback(&from_login, &from_id)),
                to_name: name(ev, &["to_broadcaster_user_name"]).unwrap_or_else(|| fallback(&to_login, &to_id)),
                from_id,
                from_login,
                to_id,
                to_login,
                viewers: count(ev, "viewers")?,
            }
        }
        "channel.follow" => {
            Event::Follow { user_name: user_name(ev)?, user_login: text(ev, "user_login").unwrap_or_default() }
        }
        "channel.subscribe" => Event::Subscribe {
            user_name: user_name(ev)?,
            tier: tier(ev),
            is_gift: flag(ev, "is_gift").unwrap_or(false),
        },
        "channel.subscription.message" => Event::SubscriptionMessage {
            user_name: user_name(ev)?,
            tier: tier(ev),
            cumulative_months: count(ev, "cumulative_months").unwrap_or(0),
            streak_months: count(ev, "streak_months"),
            message: message(ev),
        },
        "channel.subscription.gift" => {
            let is_anonymous = flag(ev, "is_anonymous").unwrap_or_else(|| user_name(ev).is_none());
            Event::SubscriptionGift {
                user_name: if is_anonymous { None } else { user_name(ev) },
                tier: tier(ev),
                total: count(ev, "total")?,
                cumulative_total: if is_anonymous { None } else { count(ev, "cumulative_total") },
                is_anonymous,
            }
        }
        "channel.cheer" => {
            let is_anonymous = flag(ev, "is_anonymous").unwrap_or_else(|| user_name(ev).is_none());
            Event::Cheer {
                user_name: if is_anonymous { None } else { user_name(ev) },
                is_anonymous,
                bits: count(ev, "bits")?,
                message: message(ev),
            }
        }
        "channel.channel_points_custom_reward_redemption.add" => {
            let reward = ev.get("reward").and_then(Value::as_object)?;
            Event::Redemption {
                user_name: user_name(ev)?,
                reward_title: text(reward, "title")?,
                reward_cost: count(reward, "cost").unwrap_or(0),
                user_input: text(ev, "user_input").unwrap_or_default(),
            }
        }
        "channel.hype_train.begin" => {
            Event::HypeTrainBegin { level: level(ev), total: count(ev, "total")?, goal: count(ev, "goal").unwrap_or(0) }
        }
        "channel.hype_train.progress" => Event::HypeTrainProgress {
            level: level(ev),
            total: count(ev, "total")?,
            goal: count(ev, "goal").unwrap_or(0),
        },
        "channel.hype_train.end" => Event::HypeTrainEnd { level: level(ev), total: count(ev, "total")? },
        "channel.poll.begin" => Event::PollBegin {
            title: text(ev, "title")?,
            choices: items(ev, "choices").filter_map(|choice| text(choice, "title")).collect(),
        },
        "channel.poll.progress" => Event::PollProgress { title: text(ev, "title")?, leader: poll_leader(ev) },
        "channel.poll.end" => Event::PollEnd {
            title: text(ev, "title")?,
            winner: poll_leader(ev),
            status: text(ev, "status").unwrap_or_default(),
        },
        "channel.prediction.begin" => Event::PredictionBegin {
            title: text(ev, "title")?,
            outcomes: items(ev, "outcomes").filter_map(|outcome| text(outcome, "title")).collect(),
        },
        "channel.prediction.progress" => {
            Event::PredictionProgress { title: text(ev, "title")?, leader: prediction_leader(ev) }
        }
        "channel.prediction.lock" => Event::PredictionLock { title: text(ev, "title")? },
        "channel.prediction.end" => {
            let winner = text(ev, "winning_outcome_id").and_then(|id| {
                items(ev, "outcomes")
                    .find(|outcome| text(outcome, "id").as_deref() == Some(id.as_str()))
                    .and_then(|outcome| text(outcome, "title"))
            });
            Event::PredictionEnd { title: text(ev, "title")?, winner, status: text(ev, "status").unwrap_or_default() }
        }
        "channel.ad_break.begin" => Event::AdBreak {
            duration_seconds: count(ev, "duration_seconds")?,
            is_automatic: flag(ev, "is_automatic").unwrap_or(false),
        },
        "channel.shoutout.create" => Event::ShoutoutCreate {
            to_name: name(ev, &["to_broadcaster_user_name", "to_broadcaster_user_login"])?,
            viewer_count: count(ev, "viewer_count").unwrap_or(0),
        },
        "channel.shoutout.receive" => Event::ShoutoutReceive {
            from_name: name(ev, &["from_broadcaster_user_name", "from_broadcaster_user_login"])?,
            viewer_count: count(ev, "viewer_count").unwrap_or(0),
        },
        "user.authorization.revoke" => Event::AuthorizationRevoke {
            user_id: text(ev, "user_id")?,
            user_login: text(ev, "user_login").filter(|login| !login.is_empty()),
        },
        _ => return None,
    };
    Some(event)
}

/// The event's own time (Unix ms), from the field that says when this particular event happened. Progress
/// events carry only the start of the train, poll or prediction, which is not their own time, so they get
/// `None`, as do types without a time field.
pub(super) fn event_time_ms(subscription_type: &str, event: &Value) -> Option<i64> {
    let field = match subscription_type {
        "stream.online"
        | "channel.hype_train.begin"
        | "channel.poll.begin"
        | "channel.prediction.begin"
        | "channel.ad_break.begin"
        | "channel.shoutout.create"
        | "channel.shoutout.receive" => "started_at",
        "channel.follow" => "followed_at",
        "channel.channel_points_custom_reward_redemption.add" => "redeemed_at",
        "channel.hype_train.end" | "channel.poll.end" | "channel.prediction.end" => "ended_at",
        "channel.prediction.lock" => "locked_at",
        _ => return None,
    };
    event.get(field).and_then(Value::as_str).and_then(parse_rfc3339_ms)
}

/// A string field; a number is taken as its decimal text (Twitch's own examples sometimes send IDs as numbers).
fn text(ev: &Object, key: &str) -> Option<String> {
    match ev.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The first of `keys` that holds a non-blank string.
fn name(ev: &Object, keys: &[&str]) -> Option<String> {
    keys.iter().filter_map(|key| text(ev, key)).find(|s| !s.trim().is_empty())
}

/// The display name of the user in `user_*`, falling back to the login.
fn user_name(ev: &Object) -> Option<String> {
    name(ev, &["user_name", "user_login"])
}

fn fallback(login: &str, id: &str) -> String {
    if login.trim().is_empty() { id.to_owned() } else { login.to_owned() }
}

/// A non-negative whole number, sent as a JSON number or as a string of digits.
fn count(ev: &Object, key: &str) -> Option<u64> {
    match ev.get(key)? {
        Value::Number(n) => n.as_u64().or_else(|| n.as_f64().and_then(whole)),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<u64>().ok().or_else(|| s.parse::<f64>().ok().and_then(whole))
        }
        _ => None,
    }
}

/// `f` as a `u64` if it is a whole number in range (`9001.0` is fine, `1.5` and `-3` are not).
fn whole(f: f64) -> Option<u64> {
    // 2^53: beyond it an f64 no longer holds every whole number exactly.
    (f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f <= 9_007_199_254_740_992.0).then_some(f as u64)
}

/// A boolean, sent as JSON `true`/`false`, as the strings `"true"`/`"false"`, or as 0/1.
fn flag(ev: &Object, key: &str) -> Option<bool> {
    match ev.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Some(false),
        Value::Number(n) => match n.as_u64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        _ => None,
    }
}

/// The subscription tier (`"1000"`, `"2000"`, `"3000"`); Twitch sends `"1000"` for Prime subs too.
fn tier(ev: &Object) -> String {
    text(ev, "tier").filter(|t| !t.trim().is_empty()).unwrap_or_else(|| "1000".to_owned())
}

fn level(ev: &Object) -> u64 {
    count(ev, "level").unwrap_or(1)
}

/// A chat message: a plain string (cheers) or an object with `text` (resubs).
fn message(ev: &Object) -> String {
    match ev.get("message") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(m)) => text(m, "text").unwrap_or_default(),
        _ => String::new(),
    }
}

/// The objects in the array `key`; anything else in it is skipped.
fn items<'a>(ev: &'a Object, key: &str) -> impl Iterator<Item = &'a Object> {
    ev.get(key).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_object)
}

/// The choice with the most votes, if one has more than every other and more than none.
fn poll_leader(ev: &Object) -> Option<String> {
    let scores = items(ev, "choices").map(|choice| {
        let votes = count(choice, "votes").unwrap_or_else(|| {
            count(choice, "bits_votes").unwrap_or(0).saturating_add(count(choice, "channel_points_votes").unwrap_or(0))
        });
        (choice, votes)
    });
    unique_leader(scores)
}

/// The outcome with the most channel points, if one has more than every other and more than none.
fn prediction_leader(ev: &Object) -> Option<String> {
    unique_leader(items(ev, "outcomes").map(|outcome| (outcome, count(outcome, "channel_points").unwrap_or(0))))
}

fn unique_leader<'a>(scores: impl Iterator<Item = (&'a Object, u64)>) -> Option<String> {
    let mut best: Option<(&Object, u64)> = None;
    let mut tied = false;
    for (item, score) in scores {
        match best {
            Some((_, top)) if score < top => {}
            Some((_, top)) if score == top => tied = true,
            _ => {
                best = Some((item, score));
                tied = false;
            }
        }
    }
    let (item, score) = best?;
    if tied || score == 0 {
        return None;
    }
    text(item, "title")
}
