//! The fault suite: two sev instances sharing a database and a Redis bus, under load from `sev-tools load`'s
//! machinery, with one fault injected per case while the webhooks flow. Each case ends with the exactly-once
//! ledger (every event Twitch got a 2xx for reached every watching client once: lost 0, duplicated 0) and with
//! Twitch's view (every webhook was answered 2xx, or failed and would be retried).
//!
//! Pages that lose the bus get the newest ten events again when it returns (a page shows ten), so each load is
//! sized to put fewer than ten events per streamer into any outage: then the ledger can demand every event.
//! Each case prints one `fault:` line with its figures, which the README's reliability section reports.

mod common;

use std::time::{Duration, Instant};

use url::Url;

use common::feed::{ids_within, open_feed};
use common::proxy::Proxy;
use common::redis::ThrowawayRedis;
use common::{Options, TestApp, bare_client};
use sev_tools::load::{LoadReport, Plan, run, set_up_streamers};
use twitch_mock::payloads;

/// When the fault begins, after the clients are open, and how long it lasts.
const FAULT_AT: Duration = Duration::from_millis(1500);
const FAULT_FOR: Duration = Duration::from_millis(1500);

/// Two instances, A (`app`) and B, on one database; each reaches Redis through its own proxy.
struct Cluster {
    app: TestApp,
    _peer: sev::server::RunningServer,
    peer_base: String,
    redis: ThrowawayRedis,
    to_redis: Proxy,
    _peer_to_redis: Proxy,
}

impl Cluster {
    async fn start(options: Options) -> Cluster {
        let redis = ThrowawayRedis::start().await;
        let to_redis = Proxy::start(([127, 0, 0, 1], redis.port).into()).await;
        let peer_to_redis = Proxy::start(([127, 0, 0, 1], redis.port).into()).await;
        let mut app =
            TestApp::start_with(Options { redis_url: Some(format!("redis://{}", to_redis.addr)), ..options }).await;
        app.options.redis_url = Some(format!("redis://{}", peer_to_redis.addr));
        let (peer, peer_base) = app.start_peer().await;
        let cluster = Cluster { app, _peer: peer, peer_base, redis, to_redis, _peer_to_redis: peer_to_redis };
        cluster.all_ready().await;
        cluster
    }

    fn bases(&self) -> [&str; 2] {
        [&self.app.base, &self.peer_base]
    }

    /// Waits until both instances answer /readyz with 200; returns how long that took (after a fault ends: the time
    /// to recover).
    async fn all_ready(&self) -> Duration {
        let began = Instant::now();
        for base in self.bases() {
            self.app
                .eventually("the instance is ready", || async {
                    let r = bare_client().get(format!("{base}/readyz")).send().await;
                    r.is_ok_and(|r| r.status() == 200)
                })
                .await;
        }
        began.elapsed()
    }

    /// A load over both instances: `streamers` streamers, clients on both, webhooks to both.
    async fn plan(&self, clients: usize, streamers: usize, rate: u32, secs: u64) -> Plan {
        let targets: Vec<Url> = self.bases().iter().map(|b| Url::parse(b).unwrap()).collect();
        let logins: Vec<String> = (0..streamers).map(|i| format!("faultstreamer{i}")).collect();
        let streamers = set_up_streamers(&targets[0], &self.app.state().db, &logins).await.unwrap();
        let mut plan = common::load_plan(targets, streamers, clients, rate, secs);
        plan.drain = Duration::from_secs(8);
        plan.settle = Duration::from_millis(500);
        plan
    }
}

/// Checks the ledger and Twitch's view, and prints the case's figures.
fn ledger(case: &str, report: &LoadReport, recovery: Duration) {
    let (w, d) = (&report.webhooks, &report.delivery);
    let retried: u64 = w.refused_by_status.values().sum::<u64>() + w.transport_errors;
    eprintln!(
        "fault: {case}: webhooks sent {}, accepted {}, would be retried {}; deliveries {}/{}, lost {}, duplicated {}; \
         recovered in {} ms",
        w.sent,
        w.accepted,
        retried,
        d.delivered,
        d.expected,
        d.missing,
        d.duplicates,
        recovery.as_millis()
    );
    let table = report.table();
    assert_eq!(w.accepted + retried, w.sent, "every webhook was answered or failed visibly: {table}");
    assert!(w.accepted > 0, "{table}");
    assert_eq!((d.missing, d.duplicates, d.unexpected), (0, 0, 0), "{case}: {table}");
    assert_eq!(d.delivered, d.expected, "{table}");
    assert_eq!(report.websockets.closed_early, 0, "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restarted_under_load() {
    let mut cluster = Cluster::start(Options::default()).await;
    // 12 streamers at 24 webhooks/s: 2 events per streamer per second, 3 in the outage.
    let plan = cluster.plan(24, 12, 24, 5).await;
    let fault = async {
        tokio::time::sleep(plan.settle + FAULT_AT).await;
        cluster.redis.kill();
        tokio::time::sleep(FAULT_FOR).await;
        cluster.redis.resume().await;
        cluster.all_ready().await
    };
    let (report, recovery) = tokio::join!(run(&plan), fault);
    ledger("Redis restart", &report.unwrap(), recovery);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_blackholed_under_load() {
    let cluster = Cluster::start(Options::default()).await;
    let plan = cluster.plan(24, 12, 24, 5).await;
    let fault = async {
        tokio::time::sleep(plan.settle + FAULT_AT).await;
        cluster.to_redis.freeze();
        tokio::time::sleep(FAULT_FOR).await;
        cluster.to_redis.thaw();
        cluster.all_ready().await
    };
    let (report, recovery) = tokio::join!(run(&plan), fault);
    ledger("Redis blackhole", &report.unwrap(), recovery);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_slow_under_load() {
    // On PostgreSQL every byte to and from the database is held 50 ms by a proxy; on SQLite (a file, no network)
    // another connection holds the write lock for the whole fault, so every write waits on it.
    let postgres = std::env::var("SEV_TEST_POSTGRES").is_ok_and(|v| !v.is_empty());
    let to_database = match postgres {
        true => {
            let admin = Url::parse(&std::env::var("SEV_TEST_POSTGRES").unwrap()).unwrap();
            let server = format!("{}:{}", admin.host_str().unwrap(), admin.port().unwrap_or(5432));
            Some(Proxy::start(server.parse().unwrap()).await)
        }
        false => None,
    };
    let options = Options { database_through: to_database.as_ref().map(|p| p.addr), ..Options::default() };
    let cluster = Cluster::start(options).await;
    let plan = cluster.plan(24, 12, 24, 5).await;
    let db_url = cluster.app.db_url.clone();
    let fault = async {
        tokio::time::sleep(plan.settle + FAULT_AT).await;
        match &to_database {
            Some(proxy) => {
                proxy.slow(Duration::from_millis(50));
                tokio::time::sleep(FAULT_FOR).await;
                proxy.slow(Duration::ZERO);
            }
            None => {
                use sqlx::Connection;
                let mut lock = sqlx::SqliteConnection::connect(&db_url).await.unwrap();
                sqlx::query("BEGIN IMMEDIATE").execute(&mut lock).await.unwrap();
                tokio::time::sleep(FAULT_FOR).await;
                sqlx::query("COMMIT").execute(&mut lock).await.unwrap();
            }
        }
        cluster.all_ready().await
    };
    let (report, recovery) = tokio::join!(run(&plan), fault);
    ledger("database slow", &report.unwrap(), recovery);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgresql_restarted_under_load() {
    // A server of the case's own, whichever database the rest of the suite runs on: restarting the shared one
    // would cut the other tests' connections too.
    let server = common::postgres::ThrowawayPostgres::start();
    let cluster = Cluster::start(Options { postgres_admin: Some(server.admin_url()), ..Options::default() }).await;
    let plan = cluster.plan(24, 12, 24, 5).await;
    let fault = async {
        tokio::time::sleep(plan.settle + FAULT_AT).await;
        // Stopped (every connection cut), down for the fault's length, started again.
        tokio::task::block_in_place(|| server.stop());
        tokio::time::sleep(FAULT_FOR).await;
        tokio::task::block_in_place(|| server.resume());
        cluster.all_ready().await
    };
    let (report, recovery) = tokio::join!(run(&plan), fault);
    ledger("PostgreSQL restart", &report.unwrap(), recovery);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_killed_under_load_loses_no_acknowledged_event() {
    let cluster = Cluster::start(Options::default()).await;
    let (mut killed, killed_base) = cluster.app.start_process(None).await;
    let mut plan = cluster.plan(24, 12, 24, 5).await;
    // Webhooks go to the survivors and to the process that is killed; the clients watch from the survivors.
    plan.webhook_targets = plan.targets.iter().cloned().chain([Url::parse(&killed_base).unwrap()]).collect();
    let fault = async {
        tokio::time::sleep(plan.settle + FAULT_AT).await;
        killed.kill().unwrap();
        killed.wait().unwrap();
    };
    let (report, ()) = tokio::join!(run(&plan), fault);
    let report = report.unwrap();
    assert!(report.webhooks.transport_errors > 0, "webhooks reached the killed instance: {}", report.table());
    // Nothing to recover: the survivors never depended on the killed instance.
    ledger("SIGKILL of an instance", &report, Duration::ZERO);
}

/// The `channel.update` subscription of a streamer set up by the load tool, as Twitch names it in notifications.
fn update_subscription(streamer: &sev_tools::load::Streamer) -> serde_json::Value {
    let condition = serde_json::json!({"broadcaster_user_id": streamer.id});
    payloads::subscription_object(
        &streamer.subscription_id,
        "channel.update",
        "2",
        &condition,
        "http://x",
        "enabled",
        0,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_killed_right_after_answering_has_already_reached_the_others() {
    let cluster = Cluster::start(Options::default()).await;
    // The killed instance reaches Redis through a slow link, so its publish is still on the way for a while
    // after the event is stored: only an answer that waits for the publish can beat the kill.
    let slow_link = Proxy::start(([127, 0, 0, 1], cluster.redis.port).into()).await;
    let streamer = set_up_streamers(
        &Url::parse(&cluster.app.base).unwrap(),
        &cluster.app.state().db,
        &["killstreamer".to_string()],
    )
    .await
    .unwrap()
    .remove(0);
    let mut watcher = open_feed(&cluster.app.base, &streamer.id).await;

    let (mut killed, killed_base) = cluster.app.start_process(Some(&format!("redis://{}", slow_link.addr))).await;
    slow_link.slow(Duration::from_millis(150));
    let sub = update_subscription(&streamer);
    let profile = twitch_mock::profile_for("killstreamer", "http://x");
    let event = payloads::event("channel.update", "2", &profile, 1);
    let status =
        common::post_notification(&killed_base, "killed-after-answer", &payloads::now_timestamp(), &sub, &event).await;
    assert_eq!(status, 204);
    killed.kill().unwrap();
    killed.wait().unwrap();
    let seen = ids_within(&mut watcher, Duration::from_secs(3)).await;
    assert_eq!(seen.len(), 1, "the page on the surviving instance has the acknowledged event: {seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_redeliveries_to_both_instances_at_once_is_stored_and_shown_once() {
    let cluster = Cluster::start(Options::default()).await;
    let base = Url::parse(&cluster.app.base).unwrap();
    let streamer =
        set_up_streamers(&base, &cluster.app.state().db, &["burststreamer".to_string()]).await.unwrap().remove(0);
    let mut on_a = open_feed(&cluster.app.base, &streamer.id).await;
    let mut on_b = open_feed(&cluster.peer_base, &streamer.id).await;
    let sub = update_subscription(&streamer);
    let profile = twitch_mock::profile_for("burststreamer", "http://x");
    let sent = payloads::now_timestamp();
    const MESSAGES: u64 = 8;
    // Every message three times to each instance, all at once: Twitch retrying while its first tries are
    // still being handled.
    let posts = (0..MESSAGES).flat_map(|seq| {
        let (sub, sent) = (&sub, &sent);
        let event = payloads::event("channel.update", "2", &profile, seq);
        cluster.bases().into_iter().flat_map(move |base| {
            let event = event.clone();
            (0..3).map(move |_| {
                let event = event.clone();
                async move { common::post_notification(base, &format!("burst-{seq}"), sent, sub, &event).await }
            })
        })
    });
    let statuses = futures_util::future::join_all(posts).await;
    assert!(statuses.iter().all(|s| *s == 204), "every delivery is acknowledged: {statuses:?}");
    let stored = cluster.app.count("SELECT COUNT(*) FROM events WHERE kind = 'channel.update'").await;
    assert_eq!(stored, MESSAGES as i64, "each message stored once");
    for (name, socket) in [("A", &mut on_a), ("B", &mut on_b)] {
        let seen = common::each_once(name, ids_within(socket, Duration::from_secs(2)).await);
        assert_eq!(seen.len() as u64, MESSAGES, "instance {name} showed every event");
    }
    eprintln!(
        "fault: redeliveries to both instances: {} deliveries of {MESSAGES} messages, all answered 204, stored \
         {stored}, shown once on each instance; lost 0, duplicated 0",
        statuses.len()
    );
}
