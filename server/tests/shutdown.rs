//! Stopping sev: a webhook Twitch is waiting on when shutdown begins is still answered (and its event stored),
//! and a request that never finishes cannot keep a stopping instance alive past `SHUTDOWN_GRACE_SECS`.

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use common::{EVENTSUB_SECRET, Options, TestApp};
use twitch_mock::{payloads, user_id_for};

/// A webhook request for `channel.update` on subscription `subscription_id`, as raw HTTP/1.1, split in two: the
/// headers with the first half of the body, and the rest of the body.
fn split_webhook(host: &str, subscription_id: &str) -> (Vec<u8>, Vec<u8>) {
    let profile = twitch_mock::profile_for("pixel_panda", "http://x");
    let condition = serde_json::json!({"broadcaster_user_id": profile.id});
    let sub =
        payloads::subscription_object(subscription_id, "channel.update", "2", &condition, "http://x", "enabled", 0);
    let body = payloads::notification_body(&sub, &payloads::event("channel.update", "2", &profile, 1));
    let headers = payloads::signed_headers(
        EVENTSUB_SECRET,
        "in-flight-at-shutdown",
        &payloads::now_timestamp(),
        "notification",
        "channel.update",
        "2",
        &body,
    );
    let mut head = format!(
        "POST /eventsub/callback HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let (first, rest) = body.split_at(body.len() / 2);
    let mut start = head.into_bytes();
    start.extend_from_slice(first);
    (start, rest.to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_under_way_when_shutdown_begins_is_answered_and_stored() {
    let mut app = TestApp::start().await;
    app.viewer_picking("big_fan", "pixel_panda").await;
    let panda = user_id_for("pixel_panda");
    let update = app.mock_subscriptions_of(&panda).into_iter().find(|s| s.kind == "channel.update").unwrap();
    let before = app.count("SELECT COUNT(*) FROM events").await;

    let (start, rest) = split_webhook(&app.addr.to_string(), &update.id);
    let mut webhook = TcpStream::connect(app.addr).await.unwrap();
    webhook.write_all(&start).await.unwrap();
    // The request is in the handler, waiting for the rest of its body, when the shutdown begins.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let stopping = tokio::spawn(app.server.take().unwrap().stop());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(TcpStream::connect(app.addr).await.is_err(), "a stopping instance takes no new connections");

    webhook.write_all(&rest).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), webhook.read_to_end(&mut answer)).await.unwrap().unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 204"), "Twitch gets its answer: {answer}");
    tokio::time::timeout(Duration::from_secs(5), stopping).await.expect("stops once the webhook is answered").unwrap();
    assert_eq!(app.count("SELECT COUNT(*) FROM events").await, before + 1, "and the event it carried is stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_never_ends_is_cut_at_the_grace_deadline() {
    let mut app =
        TestApp::start_with(Options { extra_args: vec!["--shutdown-grace-secs=1".into()], ..Options::default() }).await;
    let (start, _) = split_webhook(&app.addr.to_string(), "never-finished");
    let mut stuck = TcpStream::connect(app.addr).await.unwrap();
    stuck.write_all(&start).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let began = Instant::now();
    tokio::time::timeout(Duration::from_secs(10), app.server.take().unwrap().stop())
        .await
        .expect("a stuck client cannot hold the shutdown");
    let took = began.elapsed();
    assert!(took >= Duration::from_millis(900), "the request had its grace: {took:?}");
    assert!(took < Duration::from_secs(4), "and no more than its grace: {took:?}");
}

/// The `sev` binary, as an operator runs it: SIGTERM with a client stuck mid-request still ends the process,
/// cleanly, once the grace has run out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_ends_the_process_within_its_grace_whatever_clients_do() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let addr = format!("127.0.0.1:{port}");
    let mut sev = Command::new(env!("CARGO_BIN_EXE_sev"))
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("SEV_DEMO", "1")
        .env("DATABASE_URL", format!("sqlite://{}/sev.db", dir.path().display()))
        .env("LEPTOS_SITE_ADDR", &addr)
        .env("PUBLIC_URL", format!("http://{addr}"))
        .env("SHUTDOWN_GRACE_SECS", "1")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut stuck = loop {
        match TcpStream::connect(&addr).await {
            Ok(stream) => break stream,
            Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(100)).await,
            Err(e) => panic!("sev did not start listening: {e}"),
        }
    };
    let (start, _) = split_webhook(&addr, "never-finished");
    stuck.write_all(&start).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    let began = Instant::now();
    let killed = Command::new("kill").args(["-TERM", &sev.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let status = loop {
        if let Some(status) = sev.try_wait().unwrap() {
            break status;
        }
        if began.elapsed() > Duration::from_secs(8) {
            let _ = sev.kill();
            panic!("sev still runs {:?} after SIGTERM with a grace of 1 s", began.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "a deadline reached is still a clean stop: {status}");
    assert!(began.elapsed() >= Duration::from_millis(900), "the request had its grace: {:?}", began.elapsed());
}
