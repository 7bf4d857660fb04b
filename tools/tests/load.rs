//! `sev-tools load` against a real sev: the streamers are set up through the sign-in flow, the events go through the
//! webhook callback and arrive over the feed sockets, and the report must account for every one of them.

#[path = "../../server/tests/common/mod.rs"]
mod common;

use std::process::Command;
use std::time::Duration;

use url::Url;

use common::{EVENTSUB_SECRET, TestApp};
use sev_tools::load::{LoadReport, Plan, run, set_up_streamers};

/// Sets `streamers` up on `app` and returns a plan of `rate` webhooks per second for `secs` seconds.
async fn plan(app: &TestApp, clients: usize, streamers: usize, rate: u32, secs: u64) -> Plan {
    let target = Url::parse(&app.base).unwrap();
    let logins: Vec<String> = (0..streamers).map(|i| format!("loadstreamer{i}")).collect();
    let streamers = set_up_streamers(&target, &app.state().db, &logins).await.expect("the streamers are set up");
    common::load_plan(vec![target], streamers, clients, rate, secs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_client_gets_every_event_of_its_streamer_exactly_once() {
    let app = TestApp::start().await;
    let plan = plan(&app, 20, 4, 100, 2).await;
    assert_eq!(plan.streamers.len(), 4);
    assert!(plan.streamers.iter().all(|s| !s.id.is_empty() && !s.subscription_id.is_empty()));

    let report = run(&plan).await.unwrap();
    let table = report.table();
    assert!(report.ok, "{table}");
    assert_eq!(report.webhooks.sent, 200, "{table}");
    assert_eq!(report.webhooks.accepted, 200, "{table}");
    assert!(report.webhooks.accepted_per_sec > 50.0, "{table}");
    assert_eq!(report.websockets.opened, 20, "{table}");
    // Each streamer has five clients, and each of its 50 events must reach all five.
    assert_eq!(report.delivery.expected, 200 * 5, "{table}");
    assert_eq!(report.delivery.delivered, 200 * 5, "{table}");
    assert_eq!((report.delivery.missing, report.delivery.duplicates, report.delivery.unexpected), (0, 0, 0));
    assert_eq!(report.delivery.frames, 1000);
    let latency = report.latency_ms.clone().expect("latencies were measured");
    assert_eq!(latency.samples, 1000, "one latency per delivered event");
    assert!(latency.p50 > 0.0 && latency.p50 <= latency.p99 && latency.p99 <= latency.max, "{latency:?}");
    assert!(latency.max < 5_000.0, "{latency:?}");
    assert_eq!(app.count("SELECT COUNT(*) FROM events WHERE kind = 'channel.update'").await, 200);

    let memory = &report.memory[0];
    assert_eq!(memory.clients, 20);
    if cfg!(target_os = "linux") {
        assert!(memory.rss_after_bytes.is_some() && memory.bytes_per_client.is_some(), "{memory:?}");
        assert!(memory.open_fds_after >= memory.open_fds_before.map(|n| n + 20), "{memory:?}");
    }

    let json = report.to_json();
    let parsed: LoadReport = serde_json::from_str(&json).expect("the JSON result parses");
    assert_eq!(parsed, report);
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["delivery"]["missing"], 0);
    assert!(value["latency_ms"]["p99"].is_number(), "{json}");
    assert!(value["pages"].is_null(), "no pages were asked for");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reconnect_storm_reads_storage_once_per_streamer() {
    let app = TestApp::start().await;
    // 30 clients: sev's default cap is 32 feeds per address, and every client comes from loopback.
    let mut plan = plan(&app, 30, 3, 30, 1).await;
    plan.storm = true;
    let report = run(&plan).await.unwrap();
    let table = report.table();
    assert!(report.ok, "{table}");
    let storm = report.storm.clone().expect("the storm ran");
    assert_eq!((storm.sockets, storm.caught_up, storm.failed), (30, 30, 0), "{table}");
    // The first page of each streamer loads its newest events; the other 27 are answered from memory.
    assert_eq!(storm.from_storage, Some(3), "{table}");
    assert_eq!(storm.from_memory, Some(27), "{table}");
    assert!(table.contains("storm"), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamer_pages_render_alongside_the_webhooks() {
    let app = TestApp::start().await;
    let mut plan = plan(&app, 4, 2, 20, 2).await;
    plan.page_rate = 10;
    let report = run(&plan).await.unwrap();
    let table = report.table();
    assert!(report.ok, "{table}");
    let pages = report.pages.clone().expect("pages were rendered");
    assert_eq!((pages.requested, pages.ok, pages.wrong, pages.transport_errors), (20, 20, 0, 0), "{table}");
    let latency = pages.latency_ms.expect("page latencies were measured");
    assert_eq!(latency.samples, 20);
    assert!(latency.p50 > 0.0 && latency.p99 <= latency.max, "{latency:?}");
    assert!(table.contains("pages       20/20 rendered"), "{table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sockets_over_the_per_address_cap_are_reported_with_the_setting_to_raise() {
    let app = TestApp::start().await;
    // The harness keeps the default cap of 32 sockets per address.
    let plan = plan(&app, 40, 2, 20, 1).await;
    let report = run(&plan).await.unwrap();
    assert!(!report.ok, "{}", report.table());
    assert_eq!(report.websockets.opened, 32);
    assert_eq!(report.websockets.refused_by_status.get("429"), Some(&8));
    assert!(report.hints.iter().any(|h| h.contains("WS_MAX_PER_ADDRESS")), "{:?}", report.hints);
    assert!(report.table().contains("WS_MAX_PER_ADDRESS"));
    // The clients that did connect still got everything.
    assert_eq!(report.delivery.missing, 0, "{}", report.table());
    assert_eq!(report.delivery.delivered, report.delivery.expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_signed_with_the_wrong_secret_are_counted_as_refused() {
    let app = TestApp::start().await;
    let mut plan = plan(&app, 4, 2, 20, 1).await;
    plan.secret = "not-the-eventsub-secret".into();
    plan.drain = Duration::from_millis(500);
    let report = run(&plan).await.unwrap();
    assert!(!report.ok);
    assert_eq!(report.webhooks.accepted, 0);
    assert_eq!(report.webhooks.refused_by_status.get("403"), Some(&20), "{}", report.table());
    assert_eq!(report.delivery.expected, 0);
    assert!(report.latency_ms.is_none());
    assert!(report.hints.iter().any(|h| h.contains("--secret")), "{:?}", report.hints);
}

fn sev_load(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sev-tools"))
        .current_dir(std::env::temp_dir())
        .env_remove("TWITCH_CLIENT_ID")
        .env_remove("TWITCH_CLIENT_SECRET")
        .env_remove("EVENTSUB_SECRET")
        .env("RUST_LOG", "warn")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn help_lists_the_load_options() {
    let out = sev_load(&["load", "--help"]);
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for option in [
        "--target",
        "--clients",
        "--streamers",
        "--rate",
        "--duration-secs",
        "--drain-secs",
        "--max-in-flight",
        "--secret",
        "--origin",
        "--json",
    ] {
        assert!(help.contains(option), "`sev-tools load --help` does not mention {option}:\n{help}");
    }
    assert!(help.contains("[default: 100]"), "{help}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_sets_up_through_the_database_and_prints_json() {
    let app = TestApp::start().await;
    let (db, target) = (format!("--database-url={}", app.db_url), format!("--target={}", app.base));
    let out = tokio::task::spawn_blocking(move || {
        sev_load(&[
            &db,
            "load",
            &target,
            "--secret",
            EVENTSUB_SECRET,
            "--clients=6",
            "--streamers=3",
            "--rate=30",
            "--duration-secs=1",
            "--settle-secs=0",
            "--json",
        ])
    })
    .await
    .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let report: LoadReport = serde_json::from_slice(&out.stdout).expect("stdout is only the JSON result");
    assert!(report.ok);
    assert_eq!(report.delivery.delivered, 30 * 2);
    assert!(stderr.contains("setting up 3 streamers"), "progress goes to stderr: {stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_exits_2_when_it_cannot_set_up() {
    let app = TestApp::start().await;
    let (db, target) = (format!("--database-url={}", app.db_url), format!("--target={}", app.base));
    let out = tokio::task::spawn_blocking(move || {
        sev_load(&[&db, "load", &target, "--secret", EVENTSUB_SECRET, "--streamer-prefix=no spaces"])
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--streamer-prefix"));
}
