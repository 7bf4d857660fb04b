//! `/healthz`, `/readyz` and `/metrics`, as a load balancer and Prometheus see them.

mod common;

use common::{TestApp, bare_client};
use twitch_mock::{payloads, user_id_for};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_readiness_answer() {
    let app = TestApp::start().await;
    let alive = bare_client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(alive.status(), 200);
    let ready = bare_client().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let expected = if app.database.is_postgres() { "database ok (postgres)" } else { "database ok (sqlite)" };
    let text = ready.text().await.unwrap();
    assert!(text.contains(expected), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_webhooks_by_outcome_events_and_subscriptions() {
    let app = TestApp::start().await;
    let panda = user_id_for("pixel_panda");
    app.viewer_picking("big_fan", "pixel_panda").await;
    let update = app.mock_subscriptions_of(&panda).into_iter().find(|s| s.kind == "channel.update").unwrap();
    let profile = twitch_mock::profile_for("pixel_panda", "http://x");
    let delivered = app.mock.deliver(&update.id, payloads::event("channel.update", "2", &profile, 1)).await.unwrap();
    app.mock.redeliver(&delivered.message_id).await.unwrap();
    let forged = payloads::notification_body(&serde_json::json!({"id": "x"}), &serde_json::json!({}));
    let headers =
        payloads::signed_headers("wrong-secret", "m1", &payloads::now_timestamp(), "notification", "x", "1", &forged);
    let mut request = bare_client().post(app.callback()).body(forged);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    assert_eq!(request.send().await.unwrap().status(), 403);

    let r = bare_client().get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = r.text().await.unwrap();
    for line in [
        "sev_webhooks_total{outcome=\"stored\"} 1",
        "sev_webhooks_total{outcome=\"duplicate\"} 1",
        "sev_webhooks_total{outcome=\"bad_signature\"} 1",
        "sev_webhooks_total{outcome=\"challenge\"} 6",
        "sev_events_stored_total 1",
        "sev_open_websockets 0",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    assert!(text.contains("sev_subscriptions{status="), "{text}");
    // Twitch calls: the streamer lookup, six subscriptions created (202), and the headroom Helix reported.
    assert!(text.contains("sev_twitch_api_calls_total{endpoint=\"helix_users\",status=\"200\"}"), "{text}");
    assert!(text.contains("sev_twitch_api_calls_total{endpoint=\"helix_eventsub_create\",status=\"202\"} 6"), "{text}");
    assert!(text.contains("sev_twitch_api_calls_total{endpoint=\"oauth_token\",status=\"200\"}"), "{text}");
    assert!(text.contains("sev_twitch_ratelimit_limit 800"), "{text}");
    let remaining: i64 = text
        .lines()
        .find_map(|l| l.strip_prefix("sev_twitch_ratelimit_remaining "))
        .and_then(|v| v.parse().ok())
        .expect("the remaining points are reported");
    assert!((700..800).contains(&remaining), "some points were spent: {remaining}");
    // A sign-in spends a point of the viewer's own bucket, which must not show as the app's headroom.
    app.sign_in(&common::browser(), "another_viewer").await;
    let text = bare_client().get(app.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(text.contains(&format!("sev_twitch_ratelimit_remaining {remaining}\n")), "{text}");
    assert!(text.contains("# TYPE sev_fanout_seconds histogram"));
    // Every webhook answered is timed: six challenges, a notification, its resend and the forgery.
    assert!(text.contains("sev_webhook_seconds_count 9"), "{text}");
    if cfg!(target_os = "linux") {
        // `sev-tools load` divides the growth of these by the sockets it opened.
        let gauge = |name: &str| -> u64 {
            let line = text.lines().find(|l| l.starts_with(&format!("{name} "))).unwrap_or_else(|| panic!("{name}"));
            line.split_whitespace().nth(1).unwrap().parse().unwrap()
        };
        assert!(gauge("process_resident_memory_bytes") > 1_000_000, "{text}");
        assert!(gauge("process_open_fds") > 3, "{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_for_this_machine_or_a_scraper_with_the_token() {
    let token = "metrics-token-0123456789";
    let app = TestApp::start_with(common::Options {
        extra_args: vec![format!("--metrics-token={token}")],
        ..common::Options::default()
    })
    .await;
    let get = |forwarded: bool, bearer: Option<&str>| {
        let mut request = bare_client().get(app.url("/metrics"));
        if forwarded {
            // What a request through a proxy or load balancer carries: it comes from elsewhere.
            request = request.header("x-forwarded-for", "203.0.113.9");
        }
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(get(false, None).await, 200, "a scraper on this machine");
    assert_eq!(get(true, None).await, 403, "anyone through a proxy");
    assert_eq!(get(true, Some("metrics-token-wrong-guess")).await, 403);
    assert_eq!(get(true, Some(token)).await, 200, "a scraper with the token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_response_carries_the_browser_protections_and_https_adds_hsts() {
    let app = TestApp::start().await;
    for path in ["/", "/healthz", "/no-such-page"] {
        let r = bare_client().get(app.url(path)).send().await.unwrap();
        let header = |name: &str| r.headers().get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        assert_eq!(header("cross-origin-opener-policy"), "same-origin", "{path}");
        assert!(header("permissions-policy").contains("camera=()"), "{path}");
        assert_eq!(header("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(header("strict-transport-security"), "", "{path}: not over plain http");
    }
    let secure = TestApp::start_with(common::Options {
        adjust: Some(|s| s.public_url = url::Url::parse("https://sev.example").unwrap()),
        ..common::Options::default()
    })
    .await;
    let r = bare_client().get(secure.url("/healthz")).send().await.unwrap();
    assert_eq!(r.headers()["strict-transport-security"], "max-age=63072000");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pages_inline_script_carries_the_nonce_its_policy_allows() {
    let app = TestApp::start().await;
    for _ in 0..2 {
        let r = bare_client().get(app.url("/")).send().await.unwrap();
        let policy = r.headers()["content-security-policy"].to_str().unwrap().to_string();
        let nonce =
            policy.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).expect("a nonce").to_string();
        assert!(nonce.len() >= 16, "a nonce long enough not to be guessed: {nonce}");
        let html = r.text().await.unwrap();
        let scripts = html.matches("<script").count();
        let with_nonce = html.matches(&format!("nonce=\"{nonce}\"")).count();
        assert!(with_nonce >= 1, "the inline script carries this response's nonce: {policy}");
        assert_eq!(html.matches("nonce=\"").count(), with_nonce, "no script carries another nonce");
        assert!(scripts >= with_nonce);
    }
}
