//! `sev-tools trigger` and `sev-tools verify-subscription` against a running sev, for every supported type.

#[path = "../../server/tests/common/mod.rs"]
mod common;

use std::process::{Command, Output};

use common::{EVENTSUB_SECRET, TestApp};
use twitch::eventsub::catalog::{ConditionShape, STREAMER_SUBSCRIPTIONS};
use twitch_mock::user_id_for;

/// Runs the binary. It blocks its thread, so these tests use a multi-threaded runtime to keep the server answering.
fn sev(app: &TestApp, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sev-tools"))
        .current_dir(std::env::temp_dir())
        .env_remove("TWITCH_CLIENT_ID")
        .env_remove("TWITCH_CLIENT_SECRET")
        .env("RUST_LOG", "warn")
        .arg(format!("--database-url={}", app.db_url))
        .args(args)
        .output()
        .unwrap()
}

/// `sev-tools trigger <kind> -F <sev's callback> -s <secret> -b pixel_panda <extra…>`.
fn trigger_panda(app: &TestApp, kind: &str, extra: &[&str]) -> Output {
    let callback = app.callback();
    let mut args = vec!["trigger", kind, "-F", callback.as_str(), "-s", EVENTSUB_SECRET, "-b", "pixel_panda"];
    args.extend_from_slice(extra);
    sev(app, &args)
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Signs the streamer in, picks them, and connects their channel, so every type has a subscription.
async fn connected_streamer(app: &TestApp) {
    let streamer = app.viewer_picking("pixel_panda", "pixel_panda").await;
    let r = streamer.get(app.url("/auth/connect")).send().await.unwrap();
    let authorize = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    let callback = app.answer_authorize(&authorize, "pixel_panda", "authorize").await;
    streamer.get(callback).send().await.unwrap();
    app.mock.settle().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trigger_sends_a_signed_event_of_every_type_that_sev_stores() {
    let app = TestApp::start().await;
    connected_streamer(&app).await;
    for spec in STREAMER_SUBSCRIPTIONS {
        let direction = if spec.condition == ConditionShape::RaidFrom { "from" } else { "to" };
        let out = trigger_panda(&app, spec.kind, &["--raid-direction", direction]);
        assert!(out.status.success(), "{}: {}", spec.kind, text(&out));
        assert!(text(&out).contains("→ 204"), "{}", text(&out));
    }
    let stored = app.state().db.recent_events(&user_id_for("pixel_panda"), 100).await.unwrap();
    let events: Vec<_> = stored.into_iter().map(sev::feed::read).collect();
    assert_eq!(events.len(), STREAMER_SUBSCRIPTIONS.len());
    for spec in STREAMER_SUBSCRIPTIONS {
        assert!(events.iter().any(|e| e.subscription_type == spec.kind), "{} was not stored", spec.kind);
    }
    assert!(
        events.iter().all(|e| !matches!(e.event, app::events::Event::Other { .. })),
        "every triggered event parses into its own variant"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trigger_sends_several_and_understands_the_cli_aliases() {
    let app = TestApp::start().await;
    app.viewer_picking("big_fan", "pixel_panda").await;
    let out = trigger_panda(&app, "raid", &["--count", "3"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(app.count("SELECT COUNT(*) FROM events WHERE kind = 'channel.raid'").await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_message_id_is_acknowledged_but_stored_once() {
    let app = TestApp::start().await;
    app.viewer_picking("big_fan", "pixel_panda").await;
    let args = ["--message-id", "the-same-message", "--seq", "4"];
    assert!(trigger_panda(&app, "channel.update", &args).status.success());
    let again = trigger_panda(&app, "channel.update", &args);
    assert!(again.status.success(), "a resend is acknowledged: {}", text(&again));
    assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_out_of_date_timestamp_or_a_wrong_secret_is_refused() {
    let app = TestApp::start().await;
    app.viewer_picking("big_fan", "pixel_panda").await;
    let stale = trigger_panda(&app, "stream.online", &["--timestamp", "2020-01-01T00:00:00.000000000Z"]);
    assert_eq!(stale.status.code(), Some(1));
    assert!(text(&stale).contains("→ 403") && text(&stale).contains("ten minutes"), "{}", text(&stale));
    let forged =
        sev(&app, &["trigger", "stream.online", "-F", &app.callback(), "-s", "not-the-secret", "-b", "pixel_panda"]);
    assert_eq!(forged.status.code(), Some(1));
    assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trigger_sends_a_revocation_that_sev_handles() {
    let app = TestApp::start().await;
    app.viewer_picking("big_fan", "pixel_panda").await;
    let out = trigger_panda(&app, "stream.online", &["--status", "user_removed"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("revocation"));
    let status: String = sqlx::query_scalar("SELECT status FROM eventsub_subscriptions WHERE kind = 'stream.online'")
        .fetch_one(&app.db().await)
        .await
        .unwrap();
    assert_eq!(status, "user_removed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_subscription_checks_the_challenge_answer() {
    let app = TestApp::start().await;
    app.viewer_picking("big_fan", "pixel_panda").await;
    let id: String = sqlx::query_scalar("SELECT twitch_id FROM eventsub_subscriptions WHERE kind = 'stream.online'")
        .fetch_one(&app.db().await)
        .await
        .unwrap();
    let ours = sev(
        &app,
        &[
            "verify-subscription",
            "stream.online",
            "-F",
            &app.callback(),
            "-s",
            EVENTSUB_SECRET,
            "-b",
            "pixel_panda",
            "-u",
            &id,
        ],
    );
    assert!(ours.status.success(), "{}", text(&ours));
    assert_eq!(text(&ours).matches('✔').count(), 3, "{}", text(&ours));

    let not_ours = sev(
        &app,
        &["verify-subscription", "stream.online", "-F", &app.callback(), "-s", EVENTSUB_SECRET, "-b", "retro_rex"],
    );
    assert_eq!(not_ours.status.code(), Some(1), "{}", text(&not_ours));
    assert!(text(&not_ours).contains("answered 403"), "{}", text(&not_ours));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operators_see_each_subscription_and_its_state() {
    let app = TestApp::start().await;
    app.viewer_picking("big_fan", "pixel_panda").await;
    // Statuses are what Twitch last said: pending until a reconcile reads Twitch's list (or events arrive).
    assert!(text(&sev(&app, &["subscriptions"])).contains("webhook_callback_verification_pending"));
    sev::subscriptions::reconcile(app.state()).await.unwrap();
    let out = sev(&app, &["subscriptions"]);
    assert!(out.status.success(), "{}", text(&out));
    let listing = text(&out);
    let panda = user_id_for("pixel_panda");
    let enabled = listing.lines().filter(|l| l.starts_with(&panda) && l.contains(" enabled ")).count();
    assert_eq!(enabled, 5, "{listing}");
    assert!(listing.lines().any(|l| l.starts_with("(app)") && l.contains("user.authorization.revoke")));
    assert!(listing.contains("channel.raid") && listing.contains("stream.online"), "{listing}");
    assert!(listing.contains(&user_id_for("pixel_panda")));
}
