//! Listening to streamers: subscriptions kept per streamer, the webhook's checks, storage and publication, and
//! the lifecycle (revocation, restart, connect and disconnect, cost limit). The real sev against the mock Twitch,
//! which creates subscriptions, sends challenges and delivers messages over loopback HTTP.

mod common;

use std::time::Duration;

use common::{EVENTSUB_SECRET, TestApp, bare_client, browser};
use twitch::eventsub::catalog::STREAMER_SUBSCRIPTIONS;
use twitch_mock::{payloads, user_id_for};

const PUBLIC_TYPES: usize = 5;

async fn post_signed(
    app: &TestApp,
    secret: &str,
    timestamp: &str,
    message_type: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    let id = payloads::new_message_id();
    let headers = payloads::signed_headers(secret, &id, timestamp, message_type, "channel.follow", "2", &body);
    let mut request = bare_client().post(app.callback()).body(body);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    request.send().await.unwrap()
}

fn follow_notification(subscription_id: &str, broadcaster: &str) -> Vec<u8> {
    let profile = twitch_mock::profile_for(broadcaster, "http://x");
    let sub = payloads::subscription_object(
        subscription_id,
        "channel.follow",
        "2",
        &serde_json::json!({"broadcaster_user_id": profile.id, "moderator_user_id": profile.id}),
        "http://x",
        "enabled",
        0,
    );
    payloads::notification_body(&sub, &payloads::event("channel.follow", "2", &profile, 1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn picking_a_streamer_creates_its_set_once_and_a_second_viewer_adds_nothing() {
    let app = TestApp::start().await;
    let panda = user_id_for("pixel_panda");
    app.viewer_picking("first_fan", "pixel_panda").await;
    let subs = app.mock_subscriptions_of(&panda);
    assert_eq!(subs.len(), PUBLIC_TYPES, "{subs:#?}");
    assert!(subs.iter().all(|s| s.status == "enabled"), "the challenges passed: {subs:#?}");
    let kinds: Vec<&str> = subs.iter().map(|s| s.kind.as_str()).collect();
    for kind in ["stream.online", "stream.offline", "channel.update", "channel.raid"] {
        assert!(kinds.contains(&kind), "{kind} missing");
    }
    assert_eq!(subs.iter().find(|s| s.kind == "channel.update").unwrap().version, "2");

    app.viewer_picking("second_fan", "Pixel_Panda").await;
    assert_eq!(app.mock_subscriptions_of(&panda).len(), PUBLIC_TYPES, "the second viewer shares the set");
    let rows = app.count(&format!("SELECT COUNT(*) FROM eventsub_subscriptions WHERE streamer_id = '{panda}'")).await;
    assert_eq!(rows, PUBLIC_TYPES as i64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_challenge_for_a_subscription_sev_did_not_ask_for_is_refused() {
    let app = TestApp::start().await;
    let sub = payloads::subscription_object(
        "not-ours",
        "stream.online",
        "1",
        &serde_json::json!({"broadcaster_user_id": "12345"}),
        &app.callback(),
        "webhook_callback_verification_pending",
        1,
    );
    let r = post_signed(
        &app,
        EVENTSUB_SECRET,
        &payloads::now_timestamp(),
        "webhook_callback_verification",
        payloads::verification_body(&sub, "pick-me"),
    )
    .await;
    assert_eq!(r.status(), 403);
    assert_ne!(r.text().await.unwrap(), "pick-me");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_delivered_three_times_is_stored_once_and_published_as_one_event() {
    let app = TestApp::start().await;
    let panda = user_id_for("pixel_panda");
    app.viewer_picking("big_fan", "pixel_panda").await;
    let mut feed = app.state().bus.subscribe(&panda);
    let raid = app
        .mock_subscriptions_of(&panda)
        .into_iter()
        .find(|s| s.kind == "channel.raid" && s.condition.get("to_broadcaster_user_id").is_some())
        .unwrap();
    let profile = twitch_mock::profile_for("pixel_panda", "http://x");
    let first = app.mock.deliver(&raid.id, payloads::event("channel.raid", "1", &profile, 7)).await.unwrap();
    assert!((200..300).contains(&first.status), "{}", first.status);
    for _ in 0..2 {
        let again = app.mock.redeliver(&first.message_id).await.unwrap();
        assert!((200..300).contains(&again.status), "a repeat is acknowledged");
    }
    let published = match tokio::time::timeout(Duration::from_secs(2), feed.recv()).await.unwrap().unwrap() {
        sev::bus::BusMessage::Event(p) => p.event.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(published.subscription_type, "channel.raid");
    assert!(published.summary().contains("raided"), "{}", published.summary());
    tokio::time::sleep(Duration::from_millis(200)).await;
    // A repeat may publish the stored event again (in case the first attempt stopped before publishing), always
    // under the same id, which pages skip: never as a second event.
    while let Ok(again) = feed.try_recv() {
        let sev::bus::BusMessage::Event(again) = again else { panic!("an event, got a resync") };
        assert_eq!(again.event.id, published.id, "a repeat is published only as the same stored event");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 1, "stored exactly once");
    let payload: String = sqlx::query_scalar("SELECT payload FROM events").fetch_one(&app.db().await).await.unwrap();
    assert!(payload.contains("to_broadcaster_user_id"), "the raw payload is kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_badly_signed_or_malformed_messages_are_refused_and_nothing_is_stored() {
    let app = TestApp::start().await;
    app.viewer_picking("big_fan", "pixel_panda").await;
    let sub_id = app.mock_subscriptions_of(&user_id_for("pixel_panda"))[0].id.clone();
    let body = || follow_notification(&sub_id, "pixel_panda");
    let now = payloads::now_timestamp();

    let stale = post_signed(&app, EVENTSUB_SECRET, "2020-01-01T00:00:00.123456789Z", "notification", body()).await;
    assert_eq!(stale.status(), 403);
    assert!(stale.text().await.unwrap().contains("ten minutes"));
    assert_eq!(post_signed(&app, EVENTSUB_SECRET, "2999-01-01T00:00:00Z", "notification", body()).await.status(), 403);
    assert_eq!(post_signed(&app, "the-wrong-secret", &now, "notification", body()).await.status(), 403);

    // A signature over one body, sent with another.
    let id = payloads::new_message_id();
    let headers = payloads::signed_headers(EVENTSUB_SECRET, &id, &now, "notification", "channel.follow", "2", &body());
    let mut tampered = bare_client().post(app.callback()).body(follow_notification(&sub_id, "evil_twin"));
    for (name, value) in headers {
        tampered = tampered.header(name, value);
    }
    assert_eq!(tampered.send().await.unwrap().status(), 403);

    // No signature at all, as the Twitch CLI sends without -s.
    let unsigned = bare_client()
        .post(app.callback())
        .header("Twitch-Eventsub-Message-Id", "x")
        .header("Twitch-Eventsub-Message-Type", "notification")
        .body(body())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 403);

    let malformed = post_signed(&app, EVENTSUB_SECRET, &now, "notification", b"{not json".to_vec()).await;
    assert_eq!(malformed.status(), 400);

    let huge = post_signed(&app, EVENTSUB_SECRET, &now, "notification", vec![b' '; 200 * 1024]).await;
    assert_eq!(huge.status(), 413);

    assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM eventsub_messages").await, 0, "refused messages leave no trace");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn header_names_are_matched_whatever_their_case() {
    let app = TestApp::start().await;
    app.viewer_picking("big_fan", "pixel_panda").await;
    let sub = app.mock_subscriptions_of(&user_id_for("pixel_panda"))[0].clone();
    let body = follow_notification("unknown-subscription", "pixel_panda");
    let id = payloads::new_message_id();
    let now = payloads::now_timestamp();
    let headers = payloads::signed_headers(EVENTSUB_SECRET, &id, &now, "notification", &sub.kind, &sub.version, &body);
    let mut request = bare_client().post(app.callback()).body(body);
    for (name, value) in headers {
        request = request.header(name.to_ascii_uppercase(), value);
    }
    assert_eq!(request.send().await.unwrap().status(), 204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notification_for_an_unknown_subscription_is_acknowledged_but_not_shown() {
    let app = TestApp::start().await;
    let r = post_signed(
        &app,
        EVENTSUB_SECRET,
        &payloads::now_timestamp(),
        "notification",
        follow_notification("no-such-subscription", "pixel_panda"),
    )
    .await;
    assert_eq!(r.status(), 204);
    assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_type_is_stored_as_a_generic_event() {
    let app = TestApp::start().await;
    let panda = user_id_for("pixel_panda");
    app.viewer_picking("big_fan", "pixel_panda").await;
    let sub_id = app.mock_subscriptions_of(&panda)[0].id.clone();
    let sub = payloads::subscription_object(
        &sub_id,
        "channel.brand_new_thing",
        "7",
        &serde_json::json!({"broadcaster_user_id": panda}),
        "http://x",
        "enabled",
        0,
    );
    let body = payloads::notification_body(&sub, &serde_json::json!({"surprise": [1, 2, 3]}));
    let r = post_signed(&app, EVENTSUB_SECRET, &payloads::now_timestamp(), "notification", body).await;
    assert_eq!(r.status(), 204);
    let events = app.state().db.recent_events(&panda, 10).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "channel.brand_new_thing");
    assert!(matches!(sev::feed::read(events[0].clone()).event, app::events::Event::Other { .. }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_stream_going_live_twice_under_different_ids_shows_once() {
    let app = TestApp::start().await;
    let panda = user_id_for("pixel_panda");
    app.viewer_picking("big_fan", "pixel_panda").await;
    let subs = app.mock_subscriptions_of(&panda);
    let online = subs.iter().find(|s| s.kind == "stream.online").unwrap();
    let offline = subs.iter().find(|s| s.kind == "stream.offline").unwrap();
    let profile = twitch_mock::profile_for("pixel_panda", "http://x");
    let live = payloads::event("stream.online", "1", &profile, 3);
    app.mock.deliver(&online.id, live.clone()).await.unwrap();
    app.mock.deliver(&online.id, live).await.unwrap();
    let off = payloads::event("stream.offline", "1", &profile, 3);
    app.mock.deliver(&offline.id, off.clone()).await.unwrap();
    app.mock.deliver(&offline.id, off).await.unwrap();
    let kinds: Vec<String> =
        app.state().db.recent_events(&panda, 10).await.unwrap().into_iter().map(|e| e.kind).collect();
    assert_eq!(kinds, vec!["stream.offline", "stream.online"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_are_kept_up_to_the_retention_limit() {
    let app = TestApp::start().await;
    let panda = user_id_for("pixel_panda");
    app.viewer_picking("big_fan", "pixel_panda").await;
    let update = app.mock_subscriptions_of(&panda).into_iter().find(|s| s.kind == "channel.update").unwrap();
    let profile = twitch_mock::profile_for("pixel_panda", "http://x");
    let keep = app.state().settings.event_retention;
    for i in 0..(keep + 3) as u64 {
        app.mock.deliver(&update.id, payloads::event("channel.update", "2", &profile, i)).await.unwrap();
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM events").await, keep);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revocation_marks_the_subscription_and_it_is_created_again() {
    let app = TestApp::start().await;
    let panda = user_id_for("pixel_panda");
    app.viewer_picking("big_fan", "pixel_panda").await;
    let online = app.mock_subscriptions_of(&panda).into_iter().find(|s| s.kind == "stream.online").unwrap();
    let r = app.mock.revoke_subscription(&online.id, "notification_failures_exceeded").await.unwrap();
    assert!((200..300).contains(&r.status));
    app.eventually("a new stream.online subscription is enabled", || async {
        app.mock.settle().await;
        app.mock_subscriptions_of(&panda)
            .iter()
            .any(|s| s.kind == "stream.online" && s.status == "enabled" && s.id != online.id)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconcile_that_stops_says_whether_twitch_or_storage_failed() {
    use sev::subscriptions::{ReconcileError, reconcile};
    let app = TestApp::start().await;
    app.app_subscribed().await;
    app.mock.set_down(true);
    let twitch_down = reconcile(app.state()).await.expect_err("Twitch is down");
    app.mock.set_down(false);
    assert!(matches!(twitch_down, ReconcileError::Twitch(_)), "{twitch_down}");

    let db = app.db().await;
    sqlx::query("ALTER TABLE eventsub_subscriptions RENAME TO subscriptions_away").execute(&db).await.unwrap();
    let storage_down = reconcile(app.state()).await.expect_err("the table is gone");
    sqlx::query("ALTER TABLE subscriptions_away RENAME TO eventsub_subscriptions").execute(&db).await.unwrap();
    assert!(matches!(storage_down, ReconcileError::Storage(_)), "{storage_down}");
    assert!(storage_down.to_string().starts_with("storage: "), "{storage_down}");
    reconcile(app.state()).await.expect("both back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_adopts_the_existing_subscriptions_without_creating_any() {
    let mut app = TestApp::start().await;
    let panda = user_id_for("pixel_panda");
    app.viewer_picking("big_fan", "pixel_panda").await;
    sev::subscriptions::reconcile(app.state()).await.unwrap();
    app.mock.settle().await;
    let before = app.mock.subscriptions().len();
    app.restart().await;
    let report = sev::subscriptions::reconcile(app.state()).await.unwrap();
    assert_eq!((report.created, report.recreated, report.orphans_deleted), (0, 0, 0), "{report:?}");
    assert_eq!(report.kept, PUBLIC_TYPES + 1, "the streamer's set and the app's revoke subscription");
    assert_eq!(app.mock.subscriptions().len(), before);
    assert!(app.mock_subscriptions_of(&panda).iter().all(|s| s.status == "enabled"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_deletes_orphans_and_recreates_what_twitch_lost() {
    let app = TestApp::start().await;
    let panda = user_id_for("pixel_panda");
    app.viewer_picking("big_fan", "pixel_panda").await;
    // Twitch loses one subscription.
    let offline = app.mock_subscriptions_of(&panda).into_iter().find(|s| s.kind == "stream.offline").unwrap();
    app.mock.revoke_subscription(&offline.id, "user_removed").await.unwrap();
    // And an orphan points at sev: a subscription sev never asked for (its challenge is refused).
    let token = app.mock_token(&[("grant_type", "client_credentials")]).await;
    let r = reqwest::Client::new()
        .post(format!("http://{}/helix/eventsub/subscriptions", app.mock_addr))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .header("Client-Id", common::CLIENT_ID)
        .json(&serde_json::json!({"type": "stream.online", "version": "1",
            "condition": {"broadcaster_user_id": user_id_for("retro_rex")},
            "transport": {"method": "webhook", "callback": app.callback(), "secret": EVENTSUB_SECRET}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    app.mock.settle().await;
    // Rows changed in the second Twitch's list is read are left for the next pass (they may be newer than the
    // list), so let sev's rows be a little older, as they would be when Twitch loses one.
    sqlx::query("UPDATE eventsub_subscriptions SET updated_at = updated_at - 5")
        .execute(&app.db().await)
        .await
        .unwrap();

    let report = sev::subscriptions::reconcile(app.state()).await.unwrap();
    app.mock.settle().await;
    assert!(report.orphans_deleted >= 1, "{report:?}");
    assert_eq!(report.recreated, 1, "{report:?}");
    assert!(app.mock_subscriptions_of(&user_id_for("retro_rex")).is_empty(), "the orphan is gone");
    assert!(app.mock_subscriptions_of(&panda).iter().any(|s| s.kind == "stream.offline" && s.status == "enabled"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamer_nobody_picks_loses_their_subscriptions_after_the_grace_period() {
    let app = TestApp::start_with(common::Options { subscription_grace_secs: 0, ..Default::default() }).await;
    let panda = user_id_for("pixel_panda");
    app.viewer_picking("big_fan", "pixel_panda").await;
    assert_eq!(app.mock_subscriptions_of(&panda).len(), PUBLIC_TYPES);
    // The only fan picks someone else.
    sqlx::query("UPDATE users SET favorite_streamer_id = NULL").execute(&app.db().await).await.unwrap();
    sev::subscriptions::reconcile(app.state()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    sev::subscriptions::reconcile(app.state()).await.unwrap();
    assert!(app.mock_subscriptions_of(&panda).is_empty(), "{:#?}", app.mock_subscriptions_of(&panda));
    assert_eq!(
        app.count(&format!("SELECT COUNT(*) FROM eventsub_subscriptions WHERE streamer_id = '{panda}'")).await,
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_a_channel_adds_the_authorized_types_and_revoking_removes_them() {
    let app = TestApp::start().await;
    let panda = user_id_for("pixel_panda");
    let streamer = app.viewer_picking("pixel_panda", "pixel_panda").await;
    assert_eq!(app.mock_subscriptions_of(&panda).len(), PUBLIC_TYPES);
    // Before connecting, the streamer is told that what the connection adds is public.
    let page = streamer.get(app.url("/streamer/pixel_panda")).send().await.unwrap().text().await.unwrap();
    let notice = page.find("These events are public on sev").expect("the public-events notice");
    assert!(notice < page.find("/auth/connect").unwrap(), "the notice comes before the button");
    assert!(page.contains("channel-point rewards") && page.contains("names of your followers"));

    let r = streamer.get(app.url("/auth/connect")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let authorize = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    let scope = authorize.query_pairs().find(|(k, _)| k == "scope").unwrap().1.to_string();
    for needed in ["moderator:read:followers", "channel:read:subscriptions", "bits:read", "channel:read:hype_train"] {
        assert!(scope.contains(needed), "{scope}");
    }
    let callback = app.answer_authorize(&authorize, "pixel_panda", "authorize").await;
    let done = streamer.get(callback).send().await.unwrap();
    assert_eq!(common::location(&done), "/streamer/pixel_panda?connected=1");
    app.mock.settle().await;
    let subs = app.mock_subscriptions_of(&panda);
    assert_eq!(subs.len(), STREAMER_SUBSCRIPTIONS.len(), "{subs:#?}");
    assert!(subs.iter().all(|s| s.status == "enabled"));

    app.mock.revoke_user_authorization("pixel_panda").await;
    app.eventually("the authorized subscriptions are gone", || async {
        app.count("SELECT COUNT(*) FROM channel_connections").await == 0
            && app.count(&format!("SELECT COUNT(*) FROM eventsub_subscriptions WHERE streamer_id = '{panda}'")).await
                == PUBLIC_TYPES as i64
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_with_another_account_is_refused() {
    let app = TestApp::start().await;
    let viewer = browser();
    app.sign_in(&viewer, "just_a_viewer").await;
    let r = viewer.get(app.url("/auth/connect")).send().await.unwrap();
    let authorize = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    let callback = app.answer_authorize(&authorize, "pixel_panda", "authorize").await;
    let done = viewer.get(callback).send().await.unwrap();
    assert_eq!(common::location(&done), "/signin/failed?reason=wrong_account");
    assert_eq!(app.count("SELECT COUNT(*) FROM channel_connections").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cost_limit_yields_a_clear_error_and_no_retry_loop() {
    let app = TestApp::start().await;
    app.viewer_picking("big_fan", "pixel_panda").await;
    let used = app.mock.subscriptions().iter().filter(|s| s.status == "enabled").map(|s| s.cost).sum::<i64>();
    app.mock.set_max_total_cost(used + 2);
    app.viewer_picking("other_fan", "retro_rex").await;
    let rex = user_id_for("retro_rex");
    assert_eq!(app.mock_subscriptions_of(&rex).len(), 2, "two fit under the limit");
    let (status, error): (String, Option<String>) = sqlx::query_as(&format!(
        "SELECT status, last_error FROM eventsub_subscriptions WHERE streamer_id = '{rex}' AND status = 'quota_exceeded'"
    ))
    .fetch_one(&app.db().await)
    .await
    .unwrap();
    assert_eq!(status, "quota_exceeded");
    assert!(error.unwrap().contains("subscription limit"));
    let calls = app.mock.request_count("/helix/eventsub/subscriptions");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(app.mock.request_count("/helix/eventsub/subscriptions"), calls, "no retry loop");

    let page = browser().get(app.url("/streamer/retro_rex")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("subscription limit"), "the streamer page tells viewers");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_that_could_not_be_stored_is_stored_when_twitch_resends_it() {
    let app = TestApp::start().await;
    let panda = user_id_for("pixel_panda");
    app.viewer_picking("big_fan", "pixel_panda").await;
    let update = app.mock_subscriptions_of(&panda).into_iter().find(|s| s.kind == "channel.update").unwrap();
    let profile = twitch_mock::profile_for("pixel_panda", "http://x");
    let db = app.db().await;
    // The events table is out of reach for a moment, as when a database fails over.
    sqlx::query("ALTER TABLE events RENAME TO events_away").execute(&db).await.unwrap();
    let first = app.mock.deliver(&update.id, payloads::event("channel.update", "2", &profile, 1)).await.unwrap();
    assert_eq!(first.status, 503, "Twitch is asked to send it again");
    sqlx::query("ALTER TABLE events_away RENAME TO events").execute(&db).await.unwrap();
    let again = app.mock.redeliver(&first.message_id).await.unwrap();
    assert_eq!(again.status, 204);
    assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 1, "the resend was stored, not taken for a duplicate");
    let third = app.mock.redeliver(&first.message_id).await.unwrap();
    assert_eq!(third.status, 204);
    assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 1, "and only once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exhausted_helix_rate_limit_is_told_apart_from_the_subscription_limit() {
    let app = TestApp::start().await;
    app.viewer_picking("early_fan", "pixel_panda").await;
    // Spend the app token's 800 points, as a burst of lookups would. The mock's clock stands still meanwhile, so
    // its bucket does not refill however slowly a busy machine spends them and reaches the creates below.
    app.mock.stop_clock(true);
    let twitch = &app.state().twitch;
    let mut spent = 0;
    while !matches!(twitch.user_by_login("pixel_panda").await, Err(twitch::TwitchError::RateLimited { .. })) {
        spent += 1;
        assert!(spent <= 800, "the mock's bucket holds 800 points");
    }
    let rex = user_id_for("retro_rex");
    let ensured = sev::subscriptions::ensure_streamer(app.state(), &rex).await.unwrap();
    assert!(ensured.quota_problem.is_some(), "{ensured:?}");
    // The stopped bucket refuses the first create; its row says why.
    let (status, error): (String, Option<String>) = sqlx::query_as(&format!(
        "SELECT status, last_error FROM eventsub_subscriptions WHERE streamer_id = '{rex}' \
         AND status NOT IN ('requesting', 'webhook_callback_verification_pending', 'enabled')"
    ))
    .fetch_one(&app.db().await)
    .await
    .unwrap();
    assert_eq!(status, "rate_limited", "not mistaken for the cost limit");
    assert!(error.unwrap().contains("slow down"));
    let metrics = reqwest::get(app.url("/metrics")).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("sev_twitch_ratelimit_remaining 0"), "{metrics}");
    assert!(metrics.contains("sev_subscriptions{status=\"rate_limited\"} 1"), "{metrics}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_twitch_already_has_is_adopted_on_409() {
    let app = TestApp::start().await;
    let panda = user_id_for("pixel_panda");
    app.viewer_picking("big_fan", "pixel_panda").await;
    let before: Vec<String> = app.mock_subscriptions_of(&panda).into_iter().map(|s| s.id).collect();
    // sev forgets its rows (say, a restored backup); Twitch still has the subscriptions.
    sqlx::query("DELETE FROM eventsub_subscriptions").execute(&app.db().await).await.unwrap();
    let ensured = sev::subscriptions::ensure_streamer(app.state(), &panda).await.unwrap();
    assert_eq!((ensured.created, ensured.adopted), (0, PUBLIC_TYPES), "{ensured:?}");
    let after: Vec<String> = app.mock_subscriptions_of(&panda).into_iter().map(|s| s.id).collect();
    assert_eq!(before, after, "nothing new at Twitch");
    let mut stored: Vec<String> =
        sqlx::query_scalar(&format!("SELECT twitch_id FROM eventsub_subscriptions WHERE streamer_id = '{panda}'"))
            .fetch_all(&app.db().await)
            .await
            .unwrap();
    stored.sort();
    let mut expected = before.clone();
    expected.sort();
    assert_eq!(stored, expected, "sev knows Twitch's ids again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_token_twitch_rejects_is_fetched_again() {
    let app = TestApp::start().await;
    // Let the start-up reconcile finish first, so that it is not the one to meet the revoked token.
    app.app_subscribed().await;
    app.mock.settle().await;
    let token = app.state().twitch.app_token().await.unwrap();
    let r = reqwest::Client::new()
        .post(format!("http://{}/oauth2/revoke", app.mock_addr))
        .form(&[("client_id", common::CLIENT_ID), ("token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let fetches = app.mock.request_count("/oauth2/token");
    app.viewer_picking("big_fan", "pixel_panda").await;
    assert_eq!(app.mock_subscriptions_of(&user_id_for("pixel_panda")).len(), PUBLIC_TYPES);
    assert_eq!(app.mock.request_count("/oauth2/token"), fetches + 2, "one code exchange, one new app token");
    assert_ne!(app.state().twitch.app_token().await.unwrap(), token);
}

/// Posts a signed notification of `kind` for the subscription `subscription_id` under `message_id` to `base`,
/// as Twitch would; returns the status sev answered.
async fn post_update(base: &str, message_id: &str, subscription_id: &str, kind: &str, seq: u64) -> u16 {
    let profile = twitch_mock::profile_for("pixel_panda", "http://x");
    let condition = serde_json::json!({"broadcaster_user_id": profile.id});
    let sub = payloads::subscription_object(subscription_id, kind, "2", &condition, "http://x", "enabled", 0);
    let event = payloads::event(kind, "2", &profile, seq);
    common::post_notification(base, message_id, &payloads::now_timestamp(), &sub, &event).await
}

/// SQL that makes every statement of `operation` (INSERT, DELETE) on `table` fail, in the test database's dialect.
fn failing_trigger(postgres: bool, table: &str, operation: &str) -> Vec<String> {
    if postgres {
        vec![
            "CREATE OR REPLACE FUNCTION sev_test_refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$ LANGUAGE plpgsql".into(),
            format!("CREATE TRIGGER refuse_{table} BEFORE {operation} ON {table} FOR EACH ROW EXECUTE FUNCTION sev_test_refuse()"),
        ]
    } else {
        vec![format!(
            "CREATE TRIGGER refuse_{table} BEFORE {operation} ON {table} BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
        )]
    }
}

fn drop_trigger(postgres: bool, table: &str) -> String {
    if postgres { format!("DROP TRIGGER refuse_{table} ON {table}") } else { format!("DROP TRIGGER refuse_{table}") }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_whose_event_failed_is_stored_on_resend_even_when_nothing_can_be_undone() {
    let app = TestApp::start().await;
    let panda = user_id_for("pixel_panda");
    app.viewer_picking("big_fan", "pixel_panda").await;
    let update = app.mock_subscriptions_of(&panda).into_iter().find(|s| s.kind == "channel.update").unwrap();
    let postgres = app.database.is_postgres();
    let db = app.db().await;
    // Storing the event fails, and so would any later clean-up of the message id: only a claim that commits with
    // its event (or not at all) survives this.
    for sql in failing_trigger(postgres, "events", "INSERT").into_iter().chain(failing_trigger(
        postgres,
        "eventsub_messages",
        "DELETE",
    )) {
        sqlx::query(&sql).execute(&db).await.unwrap();
    }
    assert_eq!(post_update(&app.base, "fails-once", &update.id, "channel.update", 1).await, 503);
    assert_eq!(app.count("SELECT COUNT(*) FROM eventsub_messages WHERE message_id = 'fails-once'").await, 0);
    for table in ["events", "eventsub_messages"] {
        sqlx::query(&drop_trigger(postgres, table)).execute(&db).await.unwrap();
    }
    assert_eq!(post_update(&app.base, "fails-once", &update.id, "channel.update", 1).await, 204);
    assert_eq!(app.count("SELECT COUNT(*) FROM events WHERE message_id = 'fails-once'").await, 1, "stored on resend");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_is_not_acknowledged_while_the_first_delivery_is_still_storing() {
    let app = TestApp::start().await;
    let panda = user_id_for("pixel_panda");
    app.viewer_picking("big_fan", "pixel_panda").await;
    let update = app.mock_subscriptions_of(&panda).into_iter().find(|s| s.kind == "channel.update").unwrap();
    let db = app.db().await;
    // Hold the events table, so the first delivery stops in the middle of storing.
    let mut hold = db.begin().await.unwrap();
    let lock = if app.database.is_postgres() {
        "LOCK TABLE events IN ACCESS EXCLUSIVE MODE"
    } else {
        "INSERT INTO events (message_id, streamer_id, kind, version, occurred_at, received_at, payload) VALUES ('hold', 'x', 'x', '1', 0, 0, '{}')"
    };
    sqlx::query(lock).execute(&mut *hold).await.unwrap();

    let first = tokio::spawn({
        let (base, id) = (app.base.clone(), update.id.clone());
        async move { post_update(&base, "in-flight", &id, "channel.update", 1).await }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = tokio::spawn({
        let (base, id) = (app.base.clone(), update.id.clone());
        async move { post_update(&base, "in-flight", &id, "channel.update", 1).await }
    });
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(!second.is_finished(), "the duplicate was acknowledged before the first delivery's event was stored");
    hold.rollback().await.unwrap();

    assert_eq!(first.await.unwrap(), 204);
    let second = second.await.unwrap();
    assert!(second == 204 || second == 503, "the duplicate is acknowledged only after the store, or retried: {second}");
    assert_eq!(app.count("SELECT COUNT(*) FROM events WHERE message_id = 'in-flight'").await, 1, "stored once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resend_of_a_stored_event_that_was_never_published_publishes_it() {
    let app = TestApp::start().await;
    let panda = user_id_for("pixel_panda");
    app.viewer_picking("big_fan", "pixel_panda").await;
    let update = app.mock_subscriptions_of(&panda).into_iter().find(|s| s.kind == "channel.update").unwrap();
    let db = app.db().await;
    // What a process killed between its commit and its publish leaves: the message claimed, the event stored.
    sqlx::query("INSERT INTO eventsub_messages (message_id, received_at) VALUES ('unpublished', 0)")
        .execute(&db)
        .await
        .unwrap();
    let insert = format!(
        "INSERT INTO events (message_id, streamer_id, kind, version, occurred_at, received_at, payload) \
         VALUES ('unpublished', '{panda}', 'channel.update', '2', 1700000000000, 1700000000000, '{{\"title\":\"Back\"}}')"
    );
    sqlx::query(&insert).execute(&db).await.unwrap();
    let mut page = app.state().bus.subscribe(&panda);

    assert_eq!(post_update(&app.base, "unpublished", &update.id, "channel.update", 1).await, 204);
    let published = tokio::time::timeout(Duration::from_secs(2), page.recv()).await.expect("published").unwrap();
    let sev::bus::BusMessage::Event(published) = published else { panic!("an event, got a resync") };
    assert_eq!(published.event.subscription_type, "channel.update");
    assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 1, "published again, not stored again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_notification_of_a_revoked_subscription_stores_nothing_and_does_not_revive_it() {
    let app = TestApp::start().await;
    let panda = user_id_for("pixel_panda");
    app.viewer_picking("big_fan", "pixel_panda").await;
    let update = app.mock_subscriptions_of(&panda).into_iter().find(|s| s.kind == "channel.update").unwrap();
    // The streamer's account is gone: nothing is re-created, the row stays revoked.
    let r = app.mock.revoke_subscription(&update.id, "user_removed").await.unwrap();
    assert!((200..300).contains(&r.status));
    let status = format!(
        "SELECT COUNT(*) FROM eventsub_subscriptions WHERE twitch_id = '{}' AND status = 'user_removed'",
        update.id
    );
    assert_eq!(app.count(&status).await, 1);

    assert_eq!(post_update(&app.base, "late-one", &update.id, "channel.update", 1).await, 204);
    assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 0, "nothing stored");
    assert_eq!(app.count(&status).await, 1, "still revoked");
}

/// Posts a stream.online that started, or a stream.offline sent, `ago` seconds ago.
async fn post_stream(app: &TestApp, subscriptions: &[twitch::eventsub::Subscription], kind: &str, ago: u64) -> u16 {
    let sub = subscriptions.iter().find(|s| s.kind == kind).unwrap();
    let profile = twitch_mock::profile_for("pixel_panda", "http://x");
    let object = payloads::subscription_object(&sub.id, kind, "1", &sub.condition, "http://x", "enabled", 0);
    let mut event = payloads::event(kind, "1", &profile, 1);
    let sent = if kind == "stream.online" {
        event["started_at"] = payloads::timestamp_ago(ago).into();
        payloads::now_timestamp()
    } else {
        payloads::timestamp_ago(ago)
    };
    common::post_notification(&app.base, &payloads::new_message_id(), &sent, &object, &event).await
}

async fn badge(app: &TestApp) -> bool {
    let page = browser().get(app.url("/streamer/pixel_panda")).send().await.unwrap().text().await.unwrap();
    page.contains(r#"class="live-badge on""#)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn going_live_then_offline_is_offline_in_either_arrival_order() {
    let app = TestApp::start().await;
    let panda = user_id_for("pixel_panda");
    app.viewer_picking("big_fan", "pixel_panda").await;
    let subs = app.mock_subscriptions_of(&panda);

    // In order: a stream that started nine minutes ago and ended eight minutes ago.
    assert_eq!(post_stream(&app, &subs, "stream.online", 540).await, 204);
    assert!(badge(&app).await, "live after the online");
    assert_eq!(post_stream(&app, &subs, "stream.offline", 480).await, 204);
    assert!(!badge(&app).await, "offline after the offline");

    // Out of order, a second stream: its offline (now) overtakes its online (started a minute ago). Both are
    // stored, neither taken for a repeat of the first stream's, and the later in time wins.
    assert_eq!(post_stream(&app, &subs, "stream.offline", 0).await, 204);
    assert_eq!(post_stream(&app, &subs, "stream.online", 60).await, 204);
    assert!(!badge(&app).await, "an online older than the offline must not turn the badge back on");
    let kinds = "SELECT COUNT(*) FROM events WHERE kind IN ('stream.online', 'stream.offline')";
    assert_eq!(app.count(kinds).await, 4, "the second stream's offline is not a repeat of the first's");

    // The same offline sent again under a new message id a few seconds later is a repeat.
    assert_eq!(post_stream(&app, &subs, "stream.offline", 0).await, 204);
    assert_eq!(app.count(kinds).await, 4, "a repeated offline is stored once");
}
