use std::collections::HashSet;

use serde_json::{Value, json};

use super::*;

/// The channel in the docs' examples.
const STREAMER: &str = "1337";

macro_rules! docs_payload {
    ($name:literal) => {
        include_str!(concat!("../../../testdata/twitch-payloads/", $name, ".json"))
    };
}

/// Parses a whole docs notification body the way the server will: `subscription.type`, `.version` and `event`.
fn parse_notification(body: &str) -> (String, Event) {
    let body: Value = serde_json::from_str(body).expect("docs payload is valid JSON");
    let kind = body["subscription"]["type"].as_str().expect("subscription.type").to_owned();
    let version = body["subscription"]["version"].as_str().expect("subscription.version");
    let event = Event::parse(&kind, version, &body["event"]);
    (kind, event)
}

fn docs_event(body: &str) -> Event {
    parse_notification(body).1
}

fn other(kind: &str, version: &str) -> Event {
    Event::Other { subscription_type: kind.to_owned(), version: version.to_owned() }
}

/// Every notification example in testdata/twitch-payloads, with the variant it must become.
/// A docs payload: its type, its text, and a check that it became the right variant.
type DocsPayload = (&'static str, &'static str, fn(&Event) -> bool);

const DOCS_PAYLOADS: &[DocsPayload] = &[
    (
        "channel.channel_points_custom_reward_redemption.add",
        docs_payload!("channel.channel_points_custom_reward_redemption.add"),
        |e| matches!(e, Event::Redemption { .. }),
    ),
    ("channel.cheer", docs_payload!("channel.cheer"), |e| matches!(e, Event::Cheer { .. })),
    ("channel.follow", docs_payload!("channel.follow"), |e| matches!(e, Event::Follow { .. })),
    ("channel.hype_train.begin", docs_payload!("channel.hype_train.begin"), |e| {
        matches!(e, Event::HypeTrainBegin { .. })
    }),
    ("channel.hype_train.end", docs_payload!("channel.hype_train.end"), |e| matches!(e, Event::HypeTrainEnd { .. })),
    ("channel.hype_train.progress", docs_payload!("channel.hype_train.progress"), |e| {
        matches!(e, Event::HypeTrainProgress { .. })
    }),
    ("channel.poll.begin", docs_payload!("channel.poll.begin"), |e| matches!(e, Event::PollBegin { .. })),
    ("channel.poll.end", docs_payload!("channel.poll.end"), |e| matches!(e, Event::PollEnd { .. })),
    ("channel.poll.progress", docs_payload!("channel.poll.progress"), |e| matches!(e, Event::PollProgress { .. })),
    ("channel.prediction.begin", docs_payload!("channel.prediction.begin"), |e| {
        matches!(e, Event::PredictionBegin { .. })
    }),
    ("channel.prediction.end", docs_payload!("channel.prediction.end"), |e| matches!(e, Event::PredictionEnd { .. })),
    ("channel.prediction.lock", docs_payload!("channel.prediction.lock"), |e| {
        matches!(e, Event::PredictionLock { .. })
    }),
    ("channel.prediction.progress", docs_payload!("channel.prediction.progress"), |e| {
        matches!(e, Event::PredictionProgress { .. })
    }),
    ("channel.raid", docs_payload!("channel.raid"), |e| matches!(e, Event::Raid { .. })),
    ("channel.subscribe", docs_payload!("channel.subscribe"), |e| matches!(e, Event::Subscribe { .. })),
    ("channel.subscription.gift", docs_payload!("channel.subscription.gift"), |e| {
        matches!(e, Event::SubscriptionGift { .. })
    }),
    ("channel.subscription.message", docs_payload!("channel.subscription.message"), |e| {
        matches!(e, Event::SubscriptionMessage { .. })
    }),
    ("channel.update", docs_payload!("channel.update"), |e| matches!(e, Event::ChannelUpdate { .. })),
    ("stream.offline", docs_payload!("stream.offline"), |e| matches!(e, Event::StreamOffline)),
    ("stream.online", docs_payload!("stream.online"), |e| matches!(e, Event::StreamOnline { .. })),
    ("user.authorization.revoke", docs_payload!("user.authorization.revoke"), |e| {
        matches!(e, Event::AuthorizationRevoke { .. })
    }),
];

/// The docs' `channel.ad_break.begin` example, which sends its number and boolean as strings.
fn ad_break_docs_event() -> Value {
    json!({
        "duration_seconds": "60",
        "started_at": "2019-11-16T10:11:12.634234626Z",
        "is_automatic": "false",
        "broadcaster_user_id": "1337",
        "broadcaster_user_login": "cool_user",
        "broadcaster_user_name": "Cool_User",
        "requester_user_id": "1337",
        "requester_user_login": "cool_user",
        "requester_user_name": "Cool_User"
    })
}

/// The docs' `channel.shoutout.create` example.
fn shoutout_create_docs_event() -> Value {
    json!({
        "broadcaster_user_id": "12345",
        "broadcaster_user_name": "SimplySimple",
        "broadcaster_user_login": "simplysimple",
        "moderator_user_id": "98765",
        "moderator_user_name": "ParticularlyParticular123",
        "moderator_user_login": "particularlyparticular123",
        "to_broadcaster_user_id": "626262",
        "to_broadcaster_user_name": "SandySanderman",
        "to_broadcaster_user_login": "sandysanderman",
        "started_at": "2022-07-26T17:00:03.17106713Z",
        "viewer_count": 860,
        "cooldown_ends_at": "2022-07-26T17:02:03.17106713Z",
        "target_cooldown_ends_at": "2022-07-26T18:00:03.17106713Z"
    })
}

/// The docs' `channel.shoutout.receive` example.
fn shoutout_receive_docs_event() -> Value {
    json!({
        "broadcaster_user_id": "626262",
        "broadcaster_user_name": "SandySanderman",
        "broadcaster_user_login": "sandysanderman",
        "from_broadcaster_user_id": "12345",
        "from_broadcaster_user_name": "SimplySimple",
        "from_broadcaster_user_login": "simplysimple",
        "viewer_count": 860,
        "started_at": "2022-07-26T17:00:03.17106713Z"
    })
}

/// Every supported type with its version, for the robustness tests.
const SUPPORTED: &[(&str, &str)] = &[
    ("stream.online", "1"),
    ("stream.offline", "1"),
    ("channel.update", "2"),
    ("channel.update", "1"),
    ("channel.raid", "1"),
    ("channel.follow", "2"),
    ("channel.subscribe", "1"),
    ("channel.subscription.message", "1"),
    ("channel.subscription.gift", "1"),
    ("channel.cheer", "1"),
    ("channel.channel_points_custom_reward_redemption.add", "1"),
    ("channel.hype_train.begin", "2"),
    ("channel.hype_train.progress", "2"),
    ("channel.hype_train.end", "2"),
    ("channel.hype_train.begin", "1"),
    ("channel.hype_train.progress", "1"),
    ("channel.hype_train.end", "1"),
    ("channel.poll.begin", "1"),
    ("channel.poll.progress", "1"),
    ("channel.poll.end", "1"),
    ("channel.prediction.begin", "1"),
    ("channel.prediction.progress", "1"),
    ("channel.prediction.lock", "1"),
    ("channel.prediction.end", "1"),
    ("channel.ad_break.begin", "1"),
    ("channel.shoutout.create", "1"),
    ("channel.shoutout.receive", "1"),
    ("user.authorization.revoke", "1"),
];

// ---- docs payloads ----

#[test]
fn every_docs_payload_parses_into_its_own_variant() {
    for (name, body, is_expected) in DOCS_PAYLOADS {
        let (kind, event) = parse_notification(body);
        assert_eq!(&kind, name, "file {name} holds another type");
        assert!(is_expected(&event), "{name} parsed as {event:?}");
        let summary = event.summary(STREAMER);
        assert!(!summary.is_empty() && summary.chars().count() <= MAX_SUMMARY_CHARS, "{name}: {summary}");
        assert!(!summary.starts_with("sent a"), "{name} summarised as an unknown event: {summary}");
    }
}

#[test]
fn every_notification_file_in_testdata_is_covered_by_the_docs_payload_table() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/twitch-payloads");
    let mut on_disk: Vec<String> = std::fs::read_dir(dir)
        .expect("testdata/twitch-payloads exists")
        .map(|entry| entry.expect("readable entry").file_name().to_string_lossy().into_owned())
        .filter_map(|file| file.strip_suffix(".json").map(str::to_owned))
        .filter(|name| name != "revocation" && name != "webhook_callback_verification")
        .collect();
    on_disk.sort();
    let mut covered: Vec<String> = DOCS_PAYLOADS.iter().map(|(name, ..)| (*name).to_owned()).collect();
    covered.sort();
    assert_eq!(on_disk, covered);
}

/// Each docs example, read as the server reads it, in a snapshot of its own (`snapshots/`): the variant with
/// every field, its category, its summary on the streamer's own page, and its time. `cargo insta review` (or
/// `INSTA_UPDATE=always cargo test -p app` and a look at the diff) accepts a deliberate change.
#[test]
fn docs_payloads_read_as_their_snapshots() {
    let mut examples: Vec<(String, String, String, Value)> = DOCS_PAYLOADS
        .iter()
        .map(|(name, body, _)| {
            let body: Value = serde_json::from_str(body).expect("docs payload is valid JSON");
            let version = body["subscription"]["version"].as_str().expect("version").to_owned();
            ((*name).to_owned(), version, (*name).to_owned(), body["event"].clone())
        })
        .collect();
    for (file, kind, event) in [
        ("channel.ad_break.begin", "channel.ad_break.begin", ad_break_docs_event()),
        ("channel.shoutout.create", "channel.shoutout.create", shoutout_create_docs_event()),
        ("channel.shoutout.receive", "channel.shoutout.receive", shoutout_receive_docs_event()),
    ] {
        examples.push((file.to_owned(), "1".to_owned(), kind.to_owned(), event));
    }
    for (name, version, kind, json) in examples {
        // The page the event shows on: its broadcaster's (a raid or a revocation names none: the docs' channel).
        let streamer = json["broadcaster_user_id"].as_str().unwrap_or(STREAMER).to_owned();
        let Reading { event, occurred_at_ms } = Reading::of(&kind, &version, &json);
        let text = format!(
            "{kind} v{version} on {streamer}'s page\ncategory: {}\nsummary: {}\noccurred_at_ms: {occurred_at_ms:?}\n{event:#?}",
            event.category().label(),
            event.summary(&streamer),
        );
        insta::assert_snapshot!(name.replace('.', "_"), text);
    }
}

#[test]
fn automatic_ad_break_says_automatic() {
    let event = Event::parse("channel.ad_break.begin", "1", &json!({"duration_seconds": 90, "is_automatic": true}));
    assert_eq!(event, Event::AdBreak { duration_seconds: 90, is_automatic: true });
    assert_eq!(event.summary(STREAMER), "An automatic ad break of 90 s began");
}

// ---- leniency ----

#[test]
fn missing_optional_fields_get_defaults() {
    assert_eq!(
        Event::parse("stream.online", "1", &json!({})),
        Event::StreamOnline { id: None, stream_type: "live".into(), started_at: None }
    );
    assert_eq!(
        Event::parse("channel.subscribe", "1", &json!({"user_name": "Cool_User"})),
        Event::Subscribe { user_name: "Cool_User".into(), tier: "1000".into(), is_gift: false }
    );
    assert_eq!(
        Event::parse("channel.subscription.message", "1", &json!({"user_name": "Cool_User", "tier": "2000"})),
        Event::SubscriptionMessage {
            user_name: "Cool_User".into(),
            tier: "2000".into(),
            cumulative_months: 0,
            streak_months: None,
            message: String::new(),
        }
    );
    assert_eq!(
        Event::parse("channel.cheer", "1", &json!({"user_name": "Cool_User", "bits": 5})),
        Event::Cheer { user_name: Some("Cool_User".into()), is_anonymous: false, bits: 5, message: String::new() }
    );
    assert_eq!(
        Event::parse(
            "channel.channel_points_custom_reward_redemption.add",
            "1",
            &json!({"user_name": "Cool_User", "reward": {"title": "Hydrate"}})
        ),
        Event::Redemption {
            user_name: "Cool_User".into(),
            reward_title: "Hydrate".into(),
            reward_cost: 0,
            user_input: String::new(),
        }
    );
    assert_eq!(
        Event::parse("channel.update", "2", &json!({"title": "Just chatting"})),
        Event::ChannelUpdate { title: "Just chatting".into(), category_name: String::new(), language: String::new() }
    );
    assert_eq!(
        Event::parse("channel.hype_train.end", "2", &json!({"total": 10})),
        Event::HypeTrainEnd { level: 1, total: 10 }
    );
    assert_eq!(
        Event::parse("user.authorization.revoke", "1", &json!({"user_id": "42", "user_login": null})),
        Event::AuthorizationRevoke { user_id: "42".into(), user_login: None }
    );
}

#[test]
fn summaries_without_optional_parts_leave_them_out() {
    let resub = Event::parse("channel.subscription.message", "1", &json!({"user_name": "Cool_User"}));
    assert_eq!(resub.summary(STREAMER), "Cool_User resubscribed (Tier 1)");
    let cheer = Event::parse("channel.cheer", "1", &json!({"user_name": "Cool_User", "bits": 1, "message": "  "}));
    assert_eq!(cheer.summary(STREAMER), "Cool_User cheered 1 bit");
    let update = Event::parse("channel.update", "2", &json!({"title": "Just chatting", "category_name": ""}));
    assert_eq!(update.summary(STREAMER), "changed the title: Just chatting");
    let revoke = Event::parse("user.authorization.revoke", "1", &json!({"user_id": "42"}));
    assert_eq!(revoke.summary(STREAMER), "User 42 revoked sev's access");
}

#[test]
fn follower_without_display_name_falls_back_to_login() {
    let event = Event::parse("channel.follow", "2", &json!({"user_name": null, "user_login": "cool_user"}));
    assert_eq!(event, Event::Follow { user_name: "cool_user".into(), user_login: "cool_user".into() });
}

#[test]
fn anonymous_cheer_with_null_user_fields_hides_the_name() {
    let event = Event::parse(
        "channel.cheer",
        "1",
        &json!({
            "is_anonymous": true, "user_id": null, "user_login": null, "user_name": null,
            "broadcaster_user_id": "1337", "message": "pogchamp", "bits": 1000
        }),
    );
    assert_eq!(event, Event::Cheer { user_name: None, is_anonymous: true, bits: 1000, message: "pogchamp".into() });
    assert_eq!(event.summary(STREAMER), "An anonymous cheerer cheered 1000 bits: pogchamp");
}

#[test]
fn anonymous_gift_with_null_user_fields_hides_the_name_and_total() {
    let event = Event::parse(
        "channel.subscription.gift",
        "1",
        &json!({
            "user_id": null, "user_login": null, "user_name": null, "broadcaster_user_id": "1337",
            "total": 5, "tier": "2000", "cumulative_total": null, "is_anonymous": true
        }),
    );
    assert_eq!(
        event,
        Event::SubscriptionGift {
            user_name: None,
            tier: "2000".into(),
            total: 5,
            cumulative_total: None,
            is_anonymous: true
        }
    );
    assert_eq!(event.summary(STREAMER), "An anonymous gifter gifted 5 Tier 2 subs");
}

#[test]
fn nameless_cheer_without_is_anonymous_counts_as_anonymous() {
    let event = Event::parse("channel.cheer", "1", &json!({"bits": 100}));
    assert_eq!(event, Event::Cheer { user_name: None, is_anonymous: true, bits: 100, message: String::new() });
}

#[test]
fn numbers_and_booleans_sent_as_strings_are_accepted() {
    let raid = Event::parse(
        "channel.raid",
        "1",
        &json!({"from_broadcaster_user_id": 1234, "to_broadcaster_user_id": "1337", "viewers": " 42 "}),
    );
    assert!(matches!(raid, Event::Raid { viewers: 42, ref from_id, .. } if from_id == "1234"), "{raid:?}");
    let gift = Event::parse(
        "channel.subscription.gift",
        "1",
        &json!({"user_name": "A", "total": "3", "cumulative_total": "10", "is_anonymous": "FALSE"}),
    );
    assert!(
        matches!(gift, Event::SubscriptionGift { total: 3, cumulative_total: Some(10), is_anonymous: false, .. }),
        "{gift:?}"
    );
    let train = Event::parse("channel.hype_train.begin", "2", &json!({"level": "2", "total": 700.0, "goal": "1e3"}));
    assert_eq!(train, Event::HypeTrainBegin { level: 2, total: 700, goal: 1000 });
}

#[test]
fn negative_or_fractional_required_numbers_make_other() {
    for viewers in [json!(-5), json!(1.5), json!("many"), json!({"n": 1}), json!(true)] {
        let event = Event::parse(
            "channel.raid",
            "1",
            &json!({"from_broadcaster_user_id": "1", "to_broadcaster_user_id": "2", "viewers": viewers}),
        );
        assert_eq!(event, other("channel.raid", "1"), "viewers = {viewers}");
    }
}

#[test]
fn unknown_extra_fields_are_ignored() {
    let event = Event::parse(
        "channel.follow",
        "2",
        &json!({"user_name": "Cool_User", "user_login": "cool_user", "brand_new_field": {"x": [1, 2]}, "tier": 5}),
    );
    assert_eq!(event, Event::Follow { user_name: "Cool_User".into(), user_login: "cool_user".into() });
}

#[test]
fn unknown_types_become_other_with_type_and_version() {
    let event = Event::parse("channel.ban", "1", &json!({"user_name": "Cool_User"}));
    assert_eq!(event, other("channel.ban", "1"));
    assert_eq!(event.category(), EventCategory::Other);
    assert_eq!(event.summary(STREAMER), "sent a channel.ban event");
}

#[test]
fn unknown_versions_of_known_types_become_other() {
    let follow = json!({"user_name": "Cool_User", "user_login": "cool_user"});
    assert_eq!(Event::parse("channel.follow", "1", &follow), other("channel.follow", "1"));
    assert_eq!(Event::parse("stream.online", "2", &json!({"type": "live"})), other("stream.online", "2"));
    assert_eq!(Event::parse("channel.cheer", "", &json!({"bits": 1})), other("channel.cheer", ""));
    assert_eq!(Event::parse("channel.update", "3", &json!({"title": "t"})), other("channel.update", "3"));
}

#[test]
fn channel_update_v1_parses_like_v2() {
    let v1 = json!({
        "broadcaster_user_id": "1337", "title": "Best Stream Ever", "language": "en",
        "category_id": "21779", "category_name": "Fortnite", "is_mature": false
    });
    assert_eq!(
        Event::parse("channel.update", "1", &v1),
        Event::ChannelUpdate {
            title: "Best Stream Ever".into(),
            category_name: "Fortnite".into(),
            language: "en".into()
        }
    );
}

#[test]
fn hype_train_v1_shape_from_the_cli_parses() {
    let begin = json!({
        "id": "1b0AsbInCHZW2SQFQkCzqN07Ib2", "broadcaster_user_id": "1337", "total": 137, "progress": 137,
        "goal": 500, "top_contributions": [{"user_id": "123", "type": "bits", "total": 50}],
        "last_contribution": {"user_id": "123", "type": "bits", "total": 50}, "level": 2,
        "started_at": "2020-07-15T17:16:03.17106713Z", "expires_at": "2020-07-15T17:16:11.17106713Z"
    });
    assert_eq!(
        Event::parse("channel.hype_train.begin", "1", &begin),
        Event::HypeTrainBegin { level: 2, total: 137, goal: 500 }
    );
    assert_eq!(
        Event::parse("channel.hype_train.progress", "1", &begin),
        Event::HypeTrainProgress { level: 2, total: 137, goal: 500 }
    );
    let end = json!({"id": "x", "level": 2, "total": 137, "top_contributions": [], "ended_at": "2020-07-15T17:16:11Z"});
    assert_eq!(Event::parse("channel.hype_train.end", "1", &end), Event::HypeTrainEnd { level: 2, total: 137 });
}

#[test]
fn hype_train_above_level_one_shows_points_instead_of_a_wrong_percentage() {
    let event = Event::HypeTrainProgress { level: 3, total: 2400, goal: 1800 };
    assert_eq!(event.summary(STREAMER), "Hype train: level 3, 2400 points");
    let no_goal = Event::HypeTrainBegin { level: 1, total: 10, goal: 0 };
    assert_eq!(no_goal.summary(STREAMER), "Hype train started: level 1, 10 points");
}

#[test]
fn tied_or_voteless_polls_have_no_leader() {
    let tied = json!({"title": "t", "choices": [{"title": "A", "votes": 3}, {"title": "B", "votes": 3}]});
    assert_eq!(
        Event::parse("channel.poll.progress", "1", &tied),
        Event::PollProgress { title: "t".into(), leader: None }
    );
    let empty = json!({"title": "t", "choices": [{"title": "A", "votes": 0}, {"title": "B"}]});
    assert_eq!(
        Event::parse("channel.poll.end", "1", &empty),
        Event::PollEnd { title: "t".into(), winner: None, status: String::new() }
    );
    assert_eq!(Event::parse("channel.poll.end", "1", &empty).summary(STREAMER), "Poll ended: t");
}

#[test]
fn poll_votes_fall_back_to_bits_plus_channel_point_votes() {
    let poll = json!({"title": "t", "choices": [
        {"title": "A", "bits_votes": 1, "channel_points_votes": 1},
        {"title": "B", "bits_votes": 3}
    ]});
    assert_eq!(
        Event::parse("channel.poll.progress", "1", &poll),
        Event::PollProgress { title: "t".into(), leader: Some("B".into()) }
    );
}

#[test]
fn canceled_prediction_has_no_winner() {
    let canceled = json!({
        "title": "t", "winning_outcome_id": null, "status": "canceled",
        "outcomes": [{"id": "1", "title": "A", "channel_points": 10}, {"id": "2", "title": "B"}]
    });
    let event = Event::parse("channel.prediction.end", "1", &canceled);
    assert_eq!(event, Event::PredictionEnd { title: "t".into(), winner: None, status: "canceled".into() });
    assert_eq!(event.summary(STREAMER), "Prediction canceled: t");
}

#[test]
fn garbage_event_shapes_become_other() {
    let garbage = [json!("a string"), json!(42), json!(true), json!(null), json!([{"user_name": "Cool_User"}])];
    for &(kind, version) in SUPPORTED {
        for value in &garbage {
            assert_eq!(Event::parse(kind, version, value), other(kind, version), "{kind} v{version} with {value}");
        }
    }
}

#[test]
fn known_types_missing_required_fields_become_other() {
    for &(kind, version) in SUPPORTED {
        let event = Event::parse(kind, version, &json!({}));
        let tolerated = matches!(event, Event::StreamOnline { .. } | Event::StreamOffline);
        assert!(tolerated || event == other(kind, version), "{kind} v{version} from {{}} gave {event:?}");
    }
    let reward_not_an_object = json!({"user_name": "A", "reward": "title"});
    assert_eq!(
        Event::parse("channel.channel_points_custom_reward_redemption.add", "1", &reward_not_an_object),
        other("channel.channel_points_custom_reward_redemption.add", "1")
    );
}

#[test]
fn wrongly_typed_fields_never_panic() {
    let weird = [
        json!(null),
        json!(-1),
        json!(1e300),
        json!(u64::MAX),
        json!("18446744073709551616"),
        json!(""),
        json!("\u{0}\u{202e}"),
        json!([]),
        json!([null, 1, "x", {"title": null, "votes": "x", "channel_points": -3, "id": []}]),
        json!({}),
        json!({"text": 5}),
    ];
    let keys = [
        "type",
        "started_at",
        "title",
        "category_name",
        "language",
        "from_broadcaster_user_id",
        "to_broadcaster_user_id",
        "from_broadcaster_user_name",
        "to_broadcaster_user_name",
        "viewers",
        "user_name",
        "user_login",
        "user_id",
        "tier",
        "is_gift",
        "message",
        "cumulative_months",
        "streak_months",
        "total",
        "cumulative_total",
        "is_anonymous",
        "bits",
        "reward",
        "user_input",
        "level",
        "goal",
        "choices",
        "outcomes",
        "status",
        "winning_outcome_id",
        "duration_seconds",
        "is_automatic",
        "viewer_count",
    ];
    for &(kind, version) in SUPPORTED {
        for value in &weird {
            let mut event = serde_json::Map::new();
            for key in keys {
                event.insert(key.to_owned(), value.clone());
            }
            let event = Value::Object(event);
            let parsed = Event::parse(kind, version, &event);
            let summary = parsed.summary(STREAMER);
            assert!(summary.chars().count() <= MAX_SUMMARY_CHARS);
            let _ = event_time_ms(kind, &event);
        }
    }
}

// ---- summaries ----

fn raid(from_id: &str, to_id: &str) -> Event {
    Event::Raid {
        from_id: from_id.into(),
        from_login: "cool_user".into(),
        from_name: "Cool_User".into(),
        to_id: to_id.into(),
        to_login: "cooler_user".into(),
        to_name: "Cooler_User".into(),
        viewers: 9001,
    }
}

#[test]
fn raid_into_the_streamer_names_the_raider() {
    assert_eq!(raid("1234", "1337").summary("1337"), "Cool_User raided with 9001 viewers");
}

#[test]
fn raid_out_of_the_streamer_names_the_target() {
    assert_eq!(raid("1337", "1234").summary("1337"), "Raided Cooler_User with 9001 viewers");
}

#[test]
fn raid_not_involving_the_streamer_names_both_channels() {
    assert_eq!(raid("1", "2").summary("1337"), "Cool_User raided Cooler_User with 9001 viewers");
}

#[test]
fn raid_with_one_viewer_is_singular_and_missing_names_fall_back_to_login_then_id() {
    let event = Event::parse(
        "channel.raid",
        "1",
        &json!({"from_broadcaster_user_id": "1234", "to_broadcaster_user_id": "1337",
                "from_broadcaster_user_name": null, "viewers": 1}),
    );
    assert_eq!(event.summary("1337"), "1234 raided with 1 viewer");
    let event = Event::parse(
        "channel.raid",
        "1",
        &json!({"from_broadcaster_user_id": "1337", "to_broadcaster_user_id": "99",
                "to_broadcaster_user_login": "target", "viewers": 3}),
    );
    assert_eq!(event.summary("1337"), "Raided target with 3 viewers");
}

#[test]
fn stream_types_other_than_live_are_named() {
    let rerun = Event::parse("stream.online", "1", &json!({"type": "rerun"}));
    assert_eq!(rerun.summary(STREAMER), "went live (rerun)");
    let party = Event::parse("stream.online", "1", &json!({"type": "watch_party"}));
    assert_eq!(party.summary(STREAMER), "went live (watch party)");
}

#[test]
fn gifted_sub_and_higher_tiers_read_naturally() {
    let gifted = Event::Subscribe { user_name: "Cool_User".into(), tier: "1000".into(), is_gift: true };
    assert_eq!(gifted.summary(STREAMER), "Cool_User was gifted a Tier 1 sub");
    let tier3 = Event::Subscribe { user_name: "Cool_User".into(), tier: "3000".into(), is_gift: false };
    assert_eq!(tier3.summary(STREAMER), "Cool_User subscribed (Tier 3)");
    let one = Event::SubscriptionGift {
        user_name: Some("Cool_User".into()),
        tier: "2000".into(),
        total: 1,
        cumulative_total: Some(1),
        is_anonymous: false,
    };
    assert_eq!(one.summary(STREAMER), "Cool_User gifted 1 Tier 2 sub");
    let resub = Event::SubscriptionMessage {
        user_name: "Cool_User".into(),
        tier: "1000".into(),
        cumulative_months: 1,
        streak_months: None,
        message: String::new(),
    };
    assert_eq!(resub.summary(STREAMER), "Cool_User resubscribed for 1 month (Tier 1)");
}

#[test]
fn terminated_and_archived_polls_are_told_apart_from_completed_ones() {
    let early = Event::PollEnd { title: "t".into(), winner: Some("A".into()), status: "terminated".into() };
    assert_eq!(early.summary(STREAMER), "Poll ended early: t — A won");
    let archived = Event::PollEnd { title: "t".into(), winner: Some("A".into()), status: "archived".into() };
    assert_eq!(archived.summary(STREAMER), "Poll archived: t");
}

#[test]
fn html_in_user_names_appears_verbatim_in_summaries() {
    let name = "<img src=x onerror=alert(1)>";
    let follow = Event::parse("channel.follow", "2", &json!({"user_name": name, "user_login": "x"}));
    assert_eq!(follow.summary(STREAMER), format!("{name} followed"));
    let cheer =
        Event::parse("channel.cheer", "1", &json!({"user_name": name, "bits": 5, "message": "<b>hi</b> & bye"}));
    assert_eq!(cheer.summary(STREAMER), format!("{name} cheered 5 bits: <b>hi</b> & bye"));
}

#[test]
fn long_user_messages_are_cut_with_an_ellipsis_and_summaries_stay_short() {
    let long = "word ".repeat(200);
    let event = Event::parse(
        "channel.subscription.message",
        "1",
        &json!({"user_name": "Cool_User", "cumulative_months": 3, "message": {"text": long}}),
    );
    let summary = event.summary(STREAMER);
    assert!(summary.starts_with("Cool_User resubscribed for 3 months (Tier 1): word word"), "{summary}");
    assert!(summary.ends_with('…'), "{summary}");
    assert!(summary.chars().count() <= MAX_SUMMARY_CHARS, "{} chars", summary.chars().count());

    let huge_name = "N".repeat(10_000);
    let event = Event::Redemption {
        user_name: huge_name.clone(),
        reward_title: huge_name.clone(),
        reward_cost: 1,
        user_input: huge_name,
    };
    assert!(event.summary(STREAMER).chars().count() <= MAX_SUMMARY_CHARS);
}

#[test]
fn newlines_in_user_text_become_spaces() {
    let event =
        Event::Cheer { user_name: Some("A".into()), is_anonymous: false, bits: 2, message: "hi\nthere\tyou".into() };
    assert_eq!(event.summary(STREAMER), "A cheered 2 bits: hi there you");
}

// ---- categories ----

#[test]
fn category_labels_match_the_ui_wording() {
    let labels: Vec<&str> = EventCategory::ALL.iter().map(|c| c.label()).collect();
    assert_eq!(
        labels,
        [
            "Live",
            "Offline",
            "Title",
            "Raid",
            "Follow",
            "Sub",
            "Cheer",
            "Reward",
            "Hype train",
            "Poll",
            "Prediction",
            "Ad break",
            "Shoutout",
            "Event"
        ]
    );
}

#[test]
fn category_labels_icons_and_keys_are_distinct_per_category() {
    let all = EventCategory::ALL;
    let labels: HashSet<_> = all.iter().map(|c| c.label()).collect();
    let icons: HashSet<_> = all.iter().map(|c| c.icon()).collect();
    let keys: HashSet<_> = all.iter().map(|c| c.key()).collect();
    assert_eq!(labels.len(), all.len());
    assert_eq!(icons.len(), all.len());
    assert_eq!(keys.len(), all.len());
    for category in all {
        assert!(!category.icon().is_empty() && category.icon().chars().count() <= 2, "{category:?}");
    }
}

#[test]
fn categories_serialize_as_their_lower_case_key() {
    for category in EventCategory::ALL {
        let json = serde_json::to_string(&category).expect("serializes");
        assert_eq!(json, format!("\"{}\"", category.key()));
        assert_eq!(json, json.to_lowercase());
        assert_eq!(serde_json::from_str::<EventCategory>(&json).expect("deserializes"), category);
    }
}

// ---- times ----

#[test]
fn rfc3339_with_nanoseconds_is_cut_to_milliseconds() {
    assert_eq!(parse_rfc3339_ms("2019-11-16T10:11:12.634234626Z"), Some(1_573_899_072_634));
    assert_eq!(parse_rfc3339_ms("2020-07-15T17:16:03.17106713Z"), Some(1_594_833_363_171));
}

#[test]
fn rfc3339_with_milliseconds_or_fewer_digits_parses() {
    assert_eq!(parse_rfc3339_ms("2019-11-16T10:11:12.123Z"), Some(1_573_899_072_123));
    assert_eq!(parse_rfc3339_ms("2019-11-16T10:11:12.5Z"), Some(1_573_899_072_500));
    assert_eq!(parse_rfc3339_ms("2019-11-16T10:11:12.05Z"), Some(1_573_899_072_050));
}

#[test]
fn rfc3339_without_fraction_parses() {
    assert_eq!(parse_rfc3339_ms("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(parse_rfc3339_ms("2019-11-16T10:11:12Z"), Some(1_573_899_072_000));
    assert_eq!(parse_rfc3339_ms("2019-11-16t10:11:12z"), Some(1_573_899_072_000));
    assert_eq!(parse_rfc3339_ms("2000-02-29T23:59:59.999Z"), Some(951_868_799_999));
    assert_eq!(parse_rfc3339_ms("1969-12-31T23:59:59.999Z"), Some(-1));
}

#[test]
fn rfc3339_offsets_are_applied() {
    assert_eq!(parse_rfc3339_ms("2019-11-16T12:11:12+02:00"), Some(1_573_899_072_000));
    assert_eq!(parse_rfc3339_ms("2019-11-16T05:41:12.123456-04:30"), Some(1_573_899_072_123));
    assert_eq!(parse_rfc3339_ms("2019-11-16T10:11:12.000+00:00"), Some(1_573_899_072_000));
    assert_eq!(parse_rfc3339_ms("2019-11-16T10:11:12-00:00"), Some(1_573_899_072_000));
}

#[test]
fn rfc3339_rejects_invalid_text() {
    for text in [
        "",
        "yesterday",
        "2019-11-16",
        "2019-11-16T10:11:12",
        "2019-11-16T10:11:12.Z",
        "2019-11-16T10:11:12+0200",
        "2019-11-16T10:11:12+02",
        "2019-11-16T10:11:12Zjunk",
        "2019-11-16T10:11:12 Z",
        "2019-13-01T00:00:00Z",
        "2019-00-01T00:00:00Z",
        "2019-02-29T00:00:00Z",
        "2019-04-31T00:00:00Z",
        "2019-11-16T24:00:00Z",
        "2019-11-16T10:60:00Z",
        "2019-11-16T10:11:61Z",
        "2019-11-16T10:11:12+24:00",
        "2019/11/16T10:11:12Z",
        "+019-11-16T10:11:12Z",
        "2019-11-16T10:11:1xZ",
        "２０19-11-16T10:11:12Z",
        "2019-11-16T10:11:12.12€Z",
    ] {
        assert_eq!(parse_rfc3339_ms(text), None, "{text:?}");
    }
}

#[test]
fn event_time_comes_from_the_field_that_dates_the_event() {
    let time = |body: &str| {
        let body: Value = serde_json::from_str(body).expect("valid JSON");
        event_time_ms(body["subscription"]["type"].as_str().expect("type"), &body["event"])
    };
    assert_eq!(time(docs_payload!("stream.online")), Some(1_602_411_072_123));
    assert_eq!(time(docs_payload!("channel.follow")), Some(1_594_836_971_171));
    assert_eq!(time(docs_payload!("channel.channel_points_custom_reward_redemption.add")), Some(1_594_833_363_171));
    assert_eq!(time(docs_payload!("channel.hype_train.begin")), Some(1_594_833_363_171));
    assert_eq!(time(docs_payload!("channel.hype_train.end")), Some(1_594_833_371_171));
    assert_eq!(time(docs_payload!("channel.poll.begin")), Some(1_594_833_363_171));
    assert_eq!(time(docs_payload!("channel.poll.end")), Some(1_594_833_371_171));
    assert_eq!(time(docs_payload!("channel.prediction.begin")), Some(1_594_833_363_171));
    assert_eq!(time(docs_payload!("channel.prediction.lock")), Some(1_594_833_663_171));
    assert_eq!(time(docs_payload!("channel.prediction.end")), Some(1_594_833_371_171));
    assert_eq!(event_time_ms("channel.ad_break.begin", &ad_break_docs_event()), Some(1_573_899_072_634));
    assert_eq!(event_time_ms("channel.shoutout.create", &shoutout_create_docs_event()), Some(1_658_854_803_171));
}

#[test]
fn event_time_is_none_for_progress_events_types_without_a_time_and_bad_values() {
    for name in [
        docs_payload!("channel.hype_train.progress"),
        docs_payload!("channel.poll.progress"),
        docs_payload!("channel.prediction.progress"),
        docs_payload!("channel.raid"),
        docs_payload!("channel.cheer"),
        docs_payload!("stream.offline"),
    ] {
        let body: Value = serde_json::from_str(name).expect("valid JSON");
        assert_eq!(event_time_ms(body["subscription"]["type"].as_str().expect("type"), &body["event"]), None);
    }
    assert_eq!(event_time_ms("stream.online", &json!({"started_at": "soon"})), None);
    assert_eq!(event_time_ms("stream.online", &json!({"started_at": 1_602_411_072})), None);
    assert_eq!(event_time_ms("stream.online", &json!("2020-10-11T10:11:12Z")), None);
    assert_eq!(event_time_ms("channel.follow", &json!({})), None);
}

// ---- feed events ----

#[test]
fn feed_event_round_trips_through_json() {
    let events = [
        docs_event(docs_payload!("channel.raid")),
        docs_event(docs_payload!("stream.offline")),
        docs_event(docs_payload!("channel.poll.begin")),
        Event::parse("channel.cheer", "1", &json!({"is_anonymous": true, "bits": 1})),
        other("channel.ban", "1"),
    ];
    for (id, event) in events.into_iter().enumerate() {
        let feed = FeedEvent {
            id: id as i64 + 1,
            streamer_id: STREAMER.into(),
            subscription_type: "some.type".into(),
            version: "1".into(),
            occurred_at_ms: 1_594_833_363_171,
            event,
        };
        let json = serde_json::to_string(&feed).expect("serializes");
        let back: FeedEvent = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, feed, "{json}");
    }
}

#[test]
fn feed_event_summary_uses_its_own_streamer_for_raid_direction() {
    let feed = |streamer_id: &str| FeedEvent {
        id: 1,
        streamer_id: streamer_id.into(),
        subscription_type: "channel.raid".into(),
        version: "1".into(),
        occurred_at_ms: 0,
        event: raid("1234", "1337"),
    };
    assert_eq!(feed("1337").summary(), "Cool_User raided with 9001 viewers");
    assert_eq!(feed("1234").summary(), "Raided Cooler_User with 9001 viewers");
    assert_eq!(feed("1337").category(), EventCategory::Raid);
}
