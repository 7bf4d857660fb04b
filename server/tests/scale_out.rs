//! Two sev instances sharing one database and a Redis bus: events reach pages on either instance, a message
//! delivered to both is stored and shown once, and a Redis outage loses nothing. Each test runs its own
//! throwaway `redis-server` (scripts/test installs it when missing), so it can be stopped and started.

mod common;

use std::time::Duration;

use common::feed::{Socket, ids_within, open_feed};
use common::redis::ThrowawayRedis;
use common::{Options, TestApp, bare_client};
use twitch_mock::{payloads, user_id_for};

async fn two_instances(redis: &ThrowawayRedis) -> (TestApp, sev::server::RunningServer, String) {
    let app = TestApp::start_with(Options { redis_url: Some(redis.url()), ..Default::default() }).await;
    let (peer, peer_base) = app.start_peer().await;
    app.viewer_picking("big_fan", "pixel_panda").await;
    (app, peer, peer_base)
}

async fn deliver_updates(app: &TestApp, seqs: std::ops::Range<u64>) {
    let panda = user_id_for("pixel_panda");
    let update = app.mock_subscriptions_of(&panda).into_iter().find(|s| s.kind == "channel.update").unwrap();
    let profile = twitch_mock::profile_for("pixel_panda", "http://x");
    for seq in seqs {
        let d = app.mock.deliver(&update.id, payloads::event("channel.update", "2", &profile, seq)).await.unwrap();
        assert_eq!(d.status, 204);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_to_one_instance_reaches_a_page_on_the_other() {
    let redis = ThrowawayRedis::start().await;
    let (app, _peer, peer_base) = two_instances(&redis).await;
    let panda = user_id_for("pixel_panda");
    let mut on_a = open_feed(&app.base, &panda).await;
    let mut on_b = open_feed(&peer_base, &panda).await;
    deliver_updates(&app, 0..3).await;
    let expected: Vec<i64> =
        app.state().db.recent_events(&panda, 10).await.unwrap().iter().rev().map(|e| e.id).collect();
    assert_eq!(expected.len(), 3);
    assert_eq!(ids_within(&mut on_b, Duration::from_millis(1500)).await, expected, "instance B relays A's events");
    assert_eq!(ids_within(&mut on_a, Duration::from_millis(300)).await, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_message_sent_to_both_instances_is_stored_and_shown_once() {
    let redis = ThrowawayRedis::start().await;
    let (app, _peer, peer_base) = two_instances(&redis).await;
    let panda = user_id_for("pixel_panda");
    let mut on_b = open_feed(&peer_base, &panda).await;
    let update = app.mock_subscriptions_of(&panda).into_iter().find(|s| s.kind == "channel.update").unwrap();
    let sub =
        payloads::subscription_object(&update.id, "channel.update", "2", &update.condition, "http://x", "enabled", 0);
    let event = payloads::event("channel.update", "2", &twitch_mock::profile_for("pixel_panda", "x"), 1);
    let sent = payloads::now_timestamp();
    for base in [&app.base, &peer_base] {
        assert_eq!(common::post_notification(base, "one-message", &sent, &sub, &event).await, 204);
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 1, "stored once across instances");
    assert_eq!(ids_within(&mut on_b, Duration::from_millis(1000)).await.len(), 1, "shown once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_outage_loses_nothing_and_shows_nothing_twice() {
    let mut redis = ThrowawayRedis::start().await;
    let (app, _peer, peer_base) = two_instances(&redis).await;
    let panda = user_id_for("pixel_panda");
    let mut on_a = open_feed(&app.base, &panda).await;
    let mut on_b = open_feed(&peer_base, &panda).await;
    deliver_updates(&app, 0..2).await;

    redis.kill();
    app.eventually("instance A reports the bus down", || async {
        bare_client().get(app.url("/readyz")).send().await.unwrap().status() == 503
    })
    .await;
    // Webhooks keep being accepted and stored while Redis is down.
    deliver_updates(&app, 2..5).await;
    redis.resume().await;
    app.eventually("both instances report the bus back", || async {
        let a = bare_client().get(app.url("/readyz")).send().await.unwrap().status() == 200;
        let b = bare_client().get(format!("{peer_base}/readyz")).send().await.unwrap().status() == 200;
        a && b
    })
    .await;
    deliver_updates(&app, 5..6).await;

    let stored: Vec<i64> = app.state().db.recent_events(&panda, 10).await.unwrap().iter().rev().map(|e| e.id).collect();
    assert_eq!(stored.len(), 6);
    for (name, socket) in [("A", &mut on_a), ("B", &mut on_b)] {
        let seen = common::each_once(name, ids_within(socket, Duration::from_secs(2)).await);
        assert_eq!(seen, stored, "instance {name} missed events");
    }
}

/// Posts one signed `channel.update` notification straight to an instance's webhook, as Twitch would.
async fn post_update(app: &TestApp, base: &str, seq: u64) {
    let panda = user_id_for("pixel_panda");
    let update = app.mock_subscriptions_of(&panda).into_iter().find(|s| s.kind == "channel.update").unwrap();
    let sub =
        payloads::subscription_object(&update.id, "channel.update", "2", &update.condition, "http://x", "enabled", 0);
    let event = payloads::event("channel.update", "2", &twitch_mock::profile_for("pixel_panda", "x"), seq);
    let sent = payloads::now_timestamp();
    assert_eq!(common::post_notification(base, &format!("direct-{seq}"), &sent, &sub, &event).await, 204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_redis_outage_each_page_gets_the_events_the_other_instance_stored_even_lower_ids() {
    let mut redis = ThrowawayRedis::start().await;
    let (app, _peer, peer_base) = two_instances(&redis).await;
    let panda = user_id_for("pixel_panda");
    let mut on_a = open_feed(&app.base, &panda).await;
    let mut on_b = open_feed(&peer_base, &panda).await;

    redis.kill();
    for base in [&app.base, &peer_base] {
        app.eventually("the instance reports the bus down", || async {
            bare_client().get(format!("{base}/readyz")).send().await.unwrap().status() == 503
        })
        .await;
    }
    // During the outage each instance delivers only its own: the lower id through A, the higher through B, so
    // B's page holds an id above the one it lacks.
    post_update(&app, &app.base, 1).await;
    post_update(&app, &peer_base, 2).await;
    let stored: Vec<i64> = app.state().db.recent_events(&panda, 10).await.unwrap().iter().rev().map(|e| e.id).collect();
    assert_eq!(stored.len(), 2);
    redis.resume().await;

    for (name, socket) in [("A", &mut on_a), ("B", &mut on_b)] {
        let seen = common::each_once(name, ids_within(socket, Duration::from_secs(5)).await);
        assert_eq!(seen, stored, "instance {name}'s page lacks an event stored by the other instance");
    }
}

/// The events of `socket` in arrival order, read for `wait`, added to `seen`.
async fn collect(socket: &mut Socket, seen: &mut Vec<i64>, wait: Duration) {
    seen.extend(ids_within(socket, wait).await);
}

async fn ready_status(base: &str) -> u16 {
    bare_client().get(format!("{base}/readyz")).send().await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blackholed_redis_delays_no_local_page_shows_in_readiness_and_loses_nothing() {
    let redis = ThrowawayRedis::start().await;
    // Both instances reach Redis through a proxy that can go silent without closing anything.
    let proxy = common::proxy::Proxy::start(([127, 0, 0, 1], redis.port).into()).await;
    let app =
        TestApp::start_with(Options { redis_url: Some(format!("redis://{}", proxy.addr)), ..Default::default() }).await;
    let (_peer, peer_base) = app.start_peer().await;
    app.viewer_picking("big_fan", "pixel_panda").await;
    for base in [&app.base, &peer_base] {
        app.eventually("the bus is up", || async { ready_status(base).await == 200 }).await;
    }
    let panda = user_id_for("pixel_panda");
    let (mut on_a, mut on_b) = (open_feed(&app.base, &panda).await, open_feed(&peer_base, &panda).await);
    let (mut seen_a, mut seen_b) = (Vec::new(), Vec::new());
    post_update(&app, &app.base, 1).await;
    collect(&mut on_a, &mut seen_a, Duration::from_millis(500)).await;
    collect(&mut on_b, &mut seen_b, Duration::from_millis(500)).await;
    assert_eq!((seen_a.len(), seen_b.len()), (1, 1), "the bus works before the fault");

    proxy.freeze();
    // The instance that took the webhook shows it on its own pages at once, Redis or not.
    post_update(&app, &app.base, 2).await;
    let local = ids_within(&mut on_a, Duration::from_secs(1)).await;
    assert_eq!(local.len(), 1, "a local page waited on Redis: {local:?}");
    seen_a.extend(local);
    for base in [&app.base, &peer_base] {
        app.eventually("a silent Redis shows in readiness", || async { ready_status(base).await == 503 }).await;
    }
    // The other instance takes one too, while neither can reach the other.
    post_update(&app, &peer_base, 3).await;

    proxy.thaw();
    for base in [&app.base, &peer_base] {
        app.eventually("the bus is back", || async { ready_status(base).await == 200 }).await;
    }
    collect(&mut on_a, &mut seen_a, Duration::from_secs(3)).await;
    collect(&mut on_b, &mut seen_b, Duration::from_secs(3)).await;
    let stored: Vec<i64> = app.state().db.recent_events(&panda, 10).await.unwrap().iter().rev().map(|e| e.id).collect();
    assert_eq!(stored.len(), 3);
    for (name, seen) in [("A", seen_a), ("B", seen_b)] {
        assert_eq!(common::each_once(name, seen), stored, "instance {name}'s page lacks an event");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_one_instance_reconciles() {
    let app = TestApp::start().await;
    let (peer, _) = app.start_peer().await;
    // Start-up already ran each instance's first reconcile attempt; whichever took the lease keeps it.
    let a = sev::subscriptions::reconcile_if_leader(app.state()).await.unwrap();
    let b = sev::subscriptions::reconcile_if_leader(&peer.state).await.unwrap();
    assert!(a.is_some() != b.is_some(), "exactly one instance reconciles: {a:?} / {b:?}");
    // The leader keeps its lease on the next round too.
    let again_a = sev::subscriptions::reconcile_if_leader(app.state()).await.unwrap();
    let again_b = sev::subscriptions::reconcile_if_leader(&peer.state).await.unwrap();
    assert_eq!((again_a.is_some(), again_b.is_some()), (a.is_some(), b.is_some()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_leader_hands_reconciling_over_at_once() {
    let app = TestApp::start().await;
    let (peer, _) = app.start_peer().await;
    let a = sev::subscriptions::reconcile_if_leader(app.state()).await.unwrap();
    let (leader_is_app, follower) = if a.is_some() { (true, peer.state.clone()) } else { (false, app.state().clone()) };
    if leader_is_app {
        let mut app = app;
        app.server.take().unwrap().stop().await;
        assert!(sev::subscriptions::reconcile_if_leader(&follower).await.unwrap().is_some());
    } else {
        peer.stop().await;
        assert!(sev::subscriptions::reconcile_if_leader(&follower).await.unwrap().is_some());
    }
}
