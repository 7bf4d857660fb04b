//! Realistic `event` objects, one builder per subscription type, shaped like the examples in Twitch's docs
//! (testdata/twitch-payloads): the same field names, nanosecond timestamps, and `null` user fields for anonymous
//! gifts and cheers, as Twitch sends them.
//!
//! Where the docs' examples are known to be wrong, the builders follow what Twitch sends: ids are strings
//! everywhere (the prediction examples show some as numbers), and `channel.ad_break.begin` has a number and a
//! boolean where its example has strings.

use std::time::{Duration, SystemTime};

use rand::Rng;
use serde_json::{Map, Value, json};

use super::cast::{self, Person, other_streamer, pick, second_viewer, viewer};
use super::{new_message_id, random_alphanumeric};
use crate::people::UserProfile;
use crate::time::rfc3339_utc_nanos;

/// A realistic `event` for `subscription_type` on `broadcaster`'s channel. `seq` picks names, amounts, titles
/// and tiers, so consecutive numbers give a varied feed; every few numbers a gift or cheer is anonymous.
///
/// `channel.raid` is a raid *into* the channel (the broadcaster is `to_broadcaster_*`); [`raid_from`] builds the
/// other direction. `version` matters only for `channel.update` (v1 has `is_mature`, v2 content labels); the
/// hype train events are v2 and follows v2, the versions sev uses. A type the mock does not know gets just the
/// broadcaster fields that every channel event carries.
pub fn event(subscription_type: &str, version: &str, broadcaster: &UserProfile, seq: u64) -> Value {
    let channel = Person::from_profile(broadcaster);
    match subscription_type {
        "stream.online" => stream_online(&channel, seq),
        "stream.offline" => Fields::default().person("broadcaster_user", Some(&channel)).into_value(),
        "channel.update" => channel_update(&channel, version, seq),
        "channel.raid" => raid(&other_streamer(broadcaster, seq), &channel, seq),
        "channel.follow" => follow(&channel, seq),
        "channel.subscribe" => subscribe(&channel, seq),
        "channel.subscription.message" => resubscribe(&channel, seq),
        "channel.subscription.gift" => gift(&channel, seq),
        "channel.cheer" => cheer(&channel, seq),
        "channel.channel_points_custom_reward_redemption.add" => redemption(&channel, seq),
        "channel.hype_train.begin" => hype_train(&channel, seq, TrainPhase::Begin),
        "channel.hype_train.progress" => hype_train(&channel, seq, TrainPhase::Progress),
        "channel.hype_train.end" => hype_train(&channel, seq, TrainPhase::End),
        "channel.poll.begin" => poll(&channel, seq, PollPhase::Begin),
        "channel.poll.progress" => poll(&channel, seq, PollPhase::Progress),
        "channel.poll.end" => poll(&channel, seq, PollPhase::End),
        "channel.prediction.begin" => prediction(&channel, seq, PredictionPhase::Begin),
        "channel.prediction.progress" => prediction(&channel, seq, PredictionPhase::Progress),
        "channel.prediction.lock" => prediction(&channel, seq, PredictionPhase::Lock),
        "channel.prediction.end" => prediction(&channel, seq, PredictionPhase::End),
        "channel.ad_break.begin" => ad_break(&channel, seq),
        "channel.shoutout.create" => shoutout_create(&channel, &other_streamer(broadcaster, seq), seq),
        "channel.shoutout.receive" => shoutout_receive(&channel, &other_streamer(broadcaster, seq), seq),
        "user.authorization.revoke" => authorization_revoke(&random_alphanumeric(30).to_ascii_lowercase(), broadcaster),
        _ => Fields::default().person("broadcaster_user", Some(&channel)).into_value(),
    }
}

/// A `channel.raid` event for a raid *out of* `broadcaster`'s channel into another streamer's (the condition
/// `from_broadcaster_user_id`).
pub fn raid_from(broadcaster: &UserProfile, seq: u64) -> Value {
    raid(&Person::from_profile(broadcaster), &other_streamer(broadcaster, seq), seq)
}

/// A `user.authorization.revoke` event: `user` disconnected the app `client_id`.
pub fn authorization_revoke(client_id: &str, user: &UserProfile) -> Value {
    Fields::default()
        .person("user", Some(&Person::from_profile(user)))
        .with(json!({ "client_id": client_id }))
        .into_value()
}

/// An event object under construction.
#[derive(Default)]
struct Fields(Map<String, Value>);

impl Fields {
    /// Adds `{prefix}_id`, `{prefix}_login` and `{prefix}_name`, all `null` for an anonymous user.
    fn person(mut self, prefix: &str, person: Option<&Person>) -> Self {
        let (id, login, name) = match person {
            Some(person) => (json!(person.id), json!(person.login), json!(person.name)),
            None => (Value::Null, Value::Null, Value::Null),
        };
        self.0.insert(format!("{prefix}_id"), id);
        self.0.insert(format!("{prefix}_login"), login);
        self.0.insert(format!("{prefix}_name"), name);
        self
    }

    /// Adds every field of a JSON object.
    fn with(mut self, fields: Value) -> Self {
        if let Value::Object(fields) = fields {
            self.0.extend(fields);
        }
        self
    }

    fn into_value(self) -> Value {
        Value::Object(self.0)
    }
}

/// Now plus (or minus) some seconds, as an EventSub timestamp.
fn time_at(offset_seconds: i64) -> String {
    let offset = Duration::from_secs(offset_seconds.unsigned_abs());
    let now = SystemTime::now();
    let time = if offset_seconds >= 0 { now + offset } else { now.checked_sub(offset).unwrap_or(now) };
    rfc3339_utc_nanos(time)
}

/// A number in `low..low + span` chosen by `seq`, for amounts that should vary but stay plausible.
fn amount(seq: u64, stride: u64, low: u64, span: u64) -> u64 {
    low + seq.wrapping_mul(stride) % span.max(1)
}

fn stream_online(channel: &Person, seq: u64) -> Value {
    let stream_id = rand::rng().random_range(40_000_000_000_u64..50_000_000_000);
    Fields::default()
        .person("broadcaster_user", Some(channel))
        .with(json!({
            "id": stream_id.to_string(),
            "type": pick(cast::STREAM_TYPES, seq),
            "started_at": time_at(0),
        }))
        .into_value()
}

fn channel_update(channel: &Person, version: &str, seq: u64) -> Value {
    let (category_id, category_name) = pick(cast::CATEGORIES, seq.wrapping_mul(3));
    let mut fields = json!({
        "title": pick(cast::TITLES, seq),
        "language": pick(cast::LANGUAGES, seq),
        "category_id": category_id,
        "category_name": category_name,
    });
    let labels = pick(cast::LABELS, seq);
    if version == "1" {
        fields["is_mature"] = json!(!labels.is_empty());
    } else {
        fields["content_classification_labels"] = json!(labels);
    }
    Fields::default().person("broadcaster_user", Some(channel)).with(fields).into_value()
}

fn raid(from: &Person, to: &Person, seq: u64) -> Value {
    Fields::default()
        .person("from_broadcaster_user", Some(from))
        .person("to_broadcaster_user", Some(to))
        .with(json!({ "viewers": amount(seq, 37, 3, 900) }))
        .into_value()
}

fn follow(channel: &Person, seq: u64) -> Value {
    Fields::default()
        .person("user", Some(&viewer(seq)))
        .person("broadcaster_user", Some(channel))
        .with(json!({ "followed_at": time_at(0) }))
        .into_value()
}

fn subscribe(channel: &Person, seq: u64) -> Value {
    Fields::default()
        .person("user", Some(&viewer(seq)))
        .person("broadcaster_user", Some(channel))
        .with(json!({ "tier": pick(cast::TIERS, seq), "is_gift": seq.is_multiple_of(4) }))
        .into_value()
}

fn resubscribe(channel: &Person, seq: u64) -> Value {
    let (before, emote, emote_id) = pick(cast::RESUB_MESSAGES, seq);
    let begin = before.chars().count();
    let end = begin + emote.chars().count() - 1;
    let cumulative_months = amount(seq, 5, 2, 40);
    // Twitch sends `streak_months` only when the subscriber chose to share their streak.
    let streak_months = (!seq.is_multiple_of(3)).then(|| 1 + seq % cumulative_months);
    Fields::default()
        .person("user", Some(&viewer(seq)))
        .person("broadcaster_user", Some(channel))
        .with(json!({
            "tier": pick(cast::TIERS, seq),
            "message": {
                "text": format!("{before}{emote}"),
                "emotes": [{ "begin": begin, "end": end, "id": emote_id }],
            },
            "cumulative_months": cumulative_months,
            "streak_months": streak_months,
            "duration_months": pick(&[1, 1, 3, 6], seq),
        }))
        .into_value()
}

fn gift(channel: &Person, seq: u64) -> Value {
    let anonymous = seq % 4 == 3;
    let gifter = (!anonymous).then(|| viewer(seq));
    let total = pick(&[1_u64, 5, 1, 10, 3, 20], seq);
    // An anonymous gifter has no visible running total.
    let cumulative_total = (!anonymous).then(|| total + amount(seq, 11, 0, 200));
    Fields::default()
        .person("user", gifter.as_ref())
        .person("broadcaster_user", Some(channel))
        .with(json!({
            "total": total,
            "tier": pick(cast::TIERS, seq),
            "cumulative_total": cumulative_total,
            "is_anonymous": anonymous,
        }))
        .into_value()
}

fn cheer(channel: &Person, seq: u64) -> Value {
    let anonymous = seq % 5 == 4;
    let cheerer = (!anonymous).then(|| viewer(seq));
    Fields::default()
        .person("user", cheerer.as_ref())
        .person("broadcaster_user", Some(channel))
        .with(json!({
            "is_anonymous": anonymous,
            "message": pick(cast::CHEER_MESSAGES, seq),
            "bits": pick(cast::BITS, seq),
        }))
        .into_value()
}

fn redemption(channel: &Person, seq: u64) -> Value {
    let (title, cost, prompt, takes_input) = pick(cast::REWARDS, seq);
    let user_input = if takes_input { pick(cast::REWARD_INPUTS, seq) } else { "" };
    Fields::default()
        .person("broadcaster_user", Some(channel))
        .person("user", Some(&viewer(seq)))
        .with(json!({
            "id": new_message_id(),
            "user_input": user_input,
            "status": if takes_input { "unfulfilled" } else { "fulfilled" },
            "reward": { "id": new_message_id(), "title": title, "cost": cost, "prompt": prompt },
            "redeemed_at": time_at(0),
        }))
        .into_value()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TrainPhase {
    Begin,
    Progress,
    End,
}

/// Hype train v2: `begin` also reports the channel's all-time high; `end` has no goal or progress but a cooldown.
fn hype_train(channel: &Person, seq: u64, phase: TrainPhase) -> Value {
    let level = if phase == TrainPhase::Begin { 1 } else { 1 + seq % 5 };
    let goal = 400 + level * 300;
    let progress = goal * amount(seq, 3, 1, 9) / 10;
    let total = (1..level).map(|earlier| 400 + earlier * 300).sum::<u64>() + progress;
    let top_contributions = json!([
        {
            "user_id": viewer(seq).id, "user_login": viewer(seq).login, "user_name": viewer(seq).name,
            "type": pick(cast::CONTRIBUTIONS, seq), "total": amount(seq, 13, 50, 500),
        },
        {
            "user_id": second_viewer(seq).id, "user_login": second_viewer(seq).login,
            "user_name": second_viewer(seq).name, "type": "subscription", "total": 500,
        },
    ]);
    let mut fields = json!({
        "id": random_alphanumeric(27),
        "total": total,
        "top_contributions": top_contributions,
        "shared_train_participants": null,
        "level": level,
        "started_at": time_at(-60 * i64::try_from(level).unwrap_or(1)),
        "is_shared_train": false,
        "type": pick(&["regular", "regular", "regular", "golden_kappa", "treasure"], seq),
    });
    match phase {
        TrainPhase::Begin | TrainPhase::Progress => {
            fields["progress"] = json!(progress);
            fields["goal"] = json!(goal);
            fields["expires_at"] = json!(time_at(300));
            if phase == TrainPhase::Begin {
                fields["all_time_high_level"] = json!(amount(seq, 1, 2, 4));
                fields["all_time_high_total"] = json!(amount(seq, 97, 1_500, 4_000));
            }
        }
        TrainPhase::End => {
            fields["ended_at"] = json!(time_at(0));
            fields["cooldown_ends_at"] = json!(time_at(3_600));
        }
    }
    Fields::default().person("broadcaster_user", Some(channel)).with(fields).into_value()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PollPhase {
    Begin,
    Progress,
    End,
}

/// Polls: choices gain vote counts once voting started; `end` replaces `ends_at` with `status` and `ended_at`.
fn poll(channel: &Person, seq: u64, phase: PollPhase) -> Value {
    let (title, choice_titles) = pick(cast::POLLS, seq);
    let choices: Vec<Value> = choice_titles
        .iter()
        .zip(0_u64..)
        .map(|(choice, index)| {
            let mut choice = json!({ "id": new_message_id(), "title": choice });
            if phase != PollPhase::Begin {
                let bits_votes = amount(seq + index, 7, 0, 20);
                let channel_points_votes = amount(seq + index, 11, 0, 60);
                choice["bits_votes"] = json!(bits_votes);
                choice["channel_points_votes"] = json!(channel_points_votes);
                choice["votes"] = json!(bits_votes + channel_points_votes + amount(seq + index, 13, 1, 90));
            }
            choice
        })
        .collect();
    let mut fields = json!({
        "id": new_message_id(),
        "title": title,
        "choices": choices,
        "bits_voting": { "is_enabled": seq.is_multiple_of(2), "amount_per_vote": if seq.is_multiple_of(2) { 10 } else { 0 } },
        "channel_points_voting": { "is_enabled": true, "amount_per_vote": 100 },
        "started_at": time_at(-60),
    });
    if phase == PollPhase::End {
        fields["status"] = json!(if seq % 6 == 5 { "terminated" } else { "completed" });
        fields["ended_at"] = json!(time_at(0));
    } else {
        fields["ends_at"] = json!(time_at(120));
    }
    Fields::default().person("broadcaster_user", Some(channel)).with(fields).into_value()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PredictionPhase {
    Begin,
    Progress,
    Lock,
    End,
}

/// Predictions: outcomes gain predictors once the prediction runs; `lock` and `end` replace `locks_at`.
fn prediction(channel: &Person, seq: u64, phase: PredictionPhase) -> Value {
    let (title, blue, pink) = pick(cast::PREDICTIONS, seq);
    let blue_wins = seq.is_multiple_of(2);
    let outcomes: Vec<Value> = [(blue, "blue", viewer(seq)), (pink, "pink", second_viewer(seq))]
        .into_iter()
        .zip(0_u64..)
        .map(|((outcome_title, color, predictor), index)| {
            let mut outcome = json!({ "id": new_message_id(), "title": outcome_title, "color": color });
            if phase != PredictionPhase::Begin {
                let used = amount(seq + index, 17, 100, 5_000);
                let won = (phase == PredictionPhase::End && blue_wins == (index == 0)).then_some(used * 2);
                outcome["users"] = json!(amount(seq + index, 3, 1, 40));
                outcome["channel_points"] = json!(used * 4);
                outcome["top_predictors"] = json!([{
                    "user_id": predictor.id, "user_login": predictor.login, "user_name": predictor.name,
                    "channel_points_won": won, "channel_points_used": used,
                }]);
            }
            outcome
        })
        .collect();
    let winner = outcomes[usize::from(!blue_wins)]["id"].clone();
    let mut fields = json!({
        "id": new_message_id(),
        "title": title,
        "outcomes": outcomes,
        "started_at": time_at(-90),
    });
    match phase {
        PredictionPhase::Begin | PredictionPhase::Progress => fields["locks_at"] = json!(time_at(210)),
        PredictionPhase::Lock => fields["locked_at"] = json!(time_at(0)),
        PredictionPhase::End => {
            fields["winning_outcome_id"] = winner;
            fields["status"] = json!("resolved");
            fields["ended_at"] = json!(time_at(0));
        }
    }
    Fields::default().person("broadcaster_user", Some(channel)).with(fields).into_value()
}

fn ad_break(channel: &Person, seq: u64) -> Value {
    Fields::default()
        .person("broadcaster_user", Some(channel))
        .person("requester_user", Some(channel))
        .with(json!({
            "duration_seconds": pick(cast::AD_LENGTHS, seq),
            "started_at": time_at(0),
            "is_automatic": seq.is_multiple_of(2),
        }))
        .into_value()
}

/// The broadcaster shouts out another channel; sev's condition names the broadcaster as the moderator too.
fn shoutout_create(channel: &Person, target: &Person, seq: u64) -> Value {
    Fields::default()
        .person("broadcaster_user", Some(channel))
        .person("moderator_user", Some(channel))
        .person("to_broadcaster_user", Some(target))
        .with(json!({
            "started_at": time_at(0),
            "viewer_count": amount(seq, 29, 5, 800),
            "cooldown_ends_at": time_at(120),
            "target_cooldown_ends_at": time_at(3_600),
        }))
        .into_value()
}

fn shoutout_receive(channel: &Person, from: &Person, seq: u64) -> Value {
    Fields::default()
        .person("broadcaster_user", Some(channel))
        .person("from_broadcaster_user", Some(from))
        .with(json!({ "viewer_count": amount(seq, 29, 5, 800), "started_at": time_at(0) }))
        .into_value()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::profile_for;

    fn sevdemo() -> UserProfile {
        profile_for("sevdemo", "http://mock")
    }

    #[test]
    fn anonymous_gifts_and_cheers_have_null_users() {
        let gift = event("channel.subscription.gift", "1", &sevdemo(), 3);
        assert_eq!(gift["is_anonymous"], true);
        assert!(gift["user_id"].is_null() && gift["user_login"].is_null() && gift["user_name"].is_null());
        assert!(gift["cumulative_total"].is_null());
        let cheer = event("channel.cheer", "1", &sevdemo(), 4);
        assert_eq!(cheer["is_anonymous"], true);
        assert!(cheer["user_id"].is_null());
        let named = event("channel.cheer", "1", &sevdemo(), 0);
        assert!(named["user_id"].is_string());
    }

    #[test]
    fn raids_name_the_broadcaster_on_the_side_of_the_condition() {
        let into = event("channel.raid", "1", &sevdemo(), 1);
        assert_eq!(into["to_broadcaster_user_login"], "sevdemo");
        assert_ne!(into["from_broadcaster_user_login"], "sevdemo");
        let out = raid_from(&sevdemo(), 1);
        assert_eq!(out["from_broadcaster_user_login"], "sevdemo");
        assert_ne!(out["to_broadcaster_user_login"], "sevdemo");
    }

    #[test]
    fn resub_emote_positions_point_at_the_emote() {
        for seq in 0..4 {
            let resub = event("channel.subscription.message", "1", &sevdemo(), seq);
            let text: Vec<char> = resub["message"]["text"].as_str().expect("text").chars().collect();
            let emote = &resub["message"]["emotes"][0];
            let begin = usize::try_from(emote["begin"].as_u64().expect("begin")).expect("small");
            let end = usize::try_from(emote["end"].as_u64().expect("end")).expect("small");
            assert_eq!(end, text.len() - 1);
            assert!(begin <= end);
        }
    }

    #[test]
    fn a_resolved_prediction_names_an_outcome_as_winner() {
        let end = event("channel.prediction.end", "1", &sevdemo(), 2);
        let outcome_ids: Vec<&Value> = end["outcomes"].as_array().expect("outcomes").iter().map(|o| &o["id"]).collect();
        assert!(outcome_ids.contains(&&end["winning_outcome_id"]));
    }

    #[test]
    fn channel_update_v1_has_is_mature_and_v2_has_labels() {
        let v1 = event("channel.update", "1", &sevdemo(), 2);
        assert!(v1["is_mature"].is_boolean() && v1.get("content_classification_labels").is_none());
        let v2 = event("channel.update", "2", &sevdemo(), 2);
        assert!(v2["content_classification_labels"].is_array() && v2.get("is_mature").is_none());
    }
}
