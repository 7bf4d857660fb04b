//! The abuse suite: each hole of the security review, run as an attack against a real sev, with the defence
//! it must meet. Where an attack needs only the network, it goes to a `sev` process (the real binary, started
//! with the case's settings beside the test's in-process instance, sharing its database and mock Twitch); cases
//! that sign in through the mock go to the in-process instance. `SECURITY.md` lists each defence with the case
//! here that proves it.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::postgres::ThrowawayPostgres;
use common::proxy::Proxy;
use common::{Options, TestApp, bare_client};
use twitch_mock::payloads;

/// A `sev` process started with the test app's settings; killed when dropped.
struct Process {
    child: std::process::Child,
    base: String,
}

impl Process {
    async fn beside(app: &TestApp) -> Process {
        let (child, base) = app.start_process(None).await;
        Process { child, base }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn addr(&self) -> std::net::SocketAddr {
        self.base.trim_start_matches("http://").parse().unwrap()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A notification of `streamer`'s channel.update, as Twitch would send it to `base`, under `message_id`.
async fn update_of(app: &TestApp, base: &str, streamer: &str, message_id: &str) -> u16 {
    let profile = twitch_mock::profile_for(streamer, "http://x");
    let update =
        app.mock_subscriptions_of(&profile.id).into_iter().find(|s| s.kind == "channel.update").expect("subscribed");
    let sub =
        payloads::subscription_object(&update.id, "channel.update", "2", &update.condition, "http://x", "enabled", 0);
    let event = payloads::event("channel.update", "2", &profile, 1);
    common::post_notification(base, message_id, &payloads::now_timestamp(), &sub, &event).await
}

/// A sev on a PostgreSQL server of the test's own, reached through a proxy the test can slow down.
async fn behind_a_slow_link(extra_args: &[&str]) -> (TestApp, Proxy, ThrowawayPostgres) {
    let server = ThrowawayPostgres::start();
    let link = Proxy::start(([127, 0, 0, 1], server.port).into()).await;
    let options = Options {
        postgres_admin: Some(server.admin_url()),
        database_through: Some(link.addr),
        extra_args: extra_args.iter().map(|a| a.to_string()).collect(),
        ..Options::default()
    };
    (TestApp::start_with(options).await, link, server)
}

/// Hole 3: page renders and webhooks used to share one pool. A flood of page views on a slow database holds every
/// general connection; webhooks have connections of their own and still answer well inside Twitch's deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_page_flood_does_not_delay_webhooks() {
    let (app, link, _server) =
        behind_a_slow_link(&["--database-max-connections=2", "--webhook-db-connections=2"]).await;
    let _viewer = app.viewer_picking("flood_viewer", "pixel_panda").await;
    let sev = Process::beside(&app).await;
    link.slow(Duration::from_millis(40));

    let flooding = Arc::new(AtomicBool::new(true));
    let page = sev.url("/streamer/pixel_panda");
    let flood: Vec<_> = (0..150)
        .map(|_| {
            let (page, flooding) = (page.clone(), Arc::clone(&flooding));
            tokio::spawn(async move {
                let client = bare_client();
                while flooding.load(Ordering::Relaxed) {
                    let _ = client.get(&page).send().await.and_then(|r| r.error_for_status());
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(1)).await;

    let mut slowest = Duration::ZERO;
    for n in 0..5 {
        let started = Instant::now();
        let status = update_of(&app, &sev.base, "pixel_panda", &format!("flood-{n}")).await;
        slowest = slowest.max(started.elapsed());
        assert_eq!(status, 204, "webhook {n} during the flood");
    }
    flooding.store(false, Ordering::Relaxed);
    for task in flood {
        let _ = task.await;
    }
    assert!(slowest < Duration::from_secs(2), "the slowest webhook took {slowest:?} during the page flood");
    link.slow(Duration::ZERO);
    assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 5);
}

/// Hole 3: a webhook that cannot be handled in time is answered 503 at the deadline rather than left hanging past
/// Twitch's patience; the work under way still finishes, and Twitch's retry of the message is then acknowledged
/// without storing the event twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_webhook_is_answered_at_its_deadline_and_loses_nothing() {
    let (app, link, _server) = behind_a_slow_link(&["--webhook-deadline-ms=800"]).await;
    let _viewer = app.viewer_picking("stuck_viewer", "retro_rex").await;
    let sev = Process::beside(&app).await;

    link.slow(Duration::from_millis(1200));
    let started = Instant::now();
    let status = update_of(&app, &sev.base, "retro_rex", "stuck-once").await;
    let waited = started.elapsed();
    link.slow(Duration::ZERO);
    assert_eq!(status, 503, "a webhook past its deadline");
    assert!(waited < Duration::from_millis(1500), "answered after {waited:?}, not at the 800 ms deadline");

    for _ in 0..200 {
        if app.count("SELECT COUNT(*) FROM events").await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 1, "the work under way finished");
    assert_eq!(update_of(&app, &sev.base, "retro_rex", "stuck-once").await, 204, "Twitch's retry");
    assert_eq!(app.count("SELECT COUNT(*) FROM events").await, 1, "stored once");
}

/// Hole 3: PostgreSQL cancels a statement that runs past DATABASE_STATEMENT_TIMEOUT_MS, so a page whose query is
/// stuck (here behind a lock someone holds) ends with an error instead of holding its connection for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_statement_is_cancelled() {
    let server = ThrowawayPostgres::start();
    let options = Options {
        postgres_admin: Some(server.admin_url()),
        extra_args: vec!["--database-statement-timeout-ms=500".into()],
        ..Options::default()
    };
    let app = TestApp::start_with(options).await;
    let streamer = app.known_streamer("locked_streamer").await;
    assert!(!streamer.is_empty());
    let sev = Process::beside(&app).await;

    let db = app.db().await;
    let mut holder = db.begin().await.unwrap();
    sqlx::query("LOCK TABLE events IN ACCESS EXCLUSIVE MODE").execute(&mut *holder).await.unwrap();
    let started = Instant::now();
    let page = bare_client().get(sev.url("/streamer/locked_streamer")).timeout(Duration::from_secs(10)).send().await;
    let waited = started.elapsed();
    holder.rollback().await.unwrap();
    let page = page.expect("the page answers while the lock is held");
    assert!(waited < Duration::from_secs(3), "the stuck query was cancelled after {waited:?}");
    let (status, text) = (page.status(), page.text().await.unwrap());
    assert!(
        status.is_server_error() || text.contains("could not be loaded"),
        "a page whose query was cancelled says so: {status} {text}"
    );
    let after = bare_client().get(sev.url("/streamer/locked_streamer")).send().await.unwrap();
    assert_eq!(after.status(), 200, "the page works once the lock is gone");
}

/// A sev of its own with `extra_args`, on SQLite or PostgreSQL as the suite runs.
async fn sev_with(extra_args: &[&str]) -> TestApp {
    let options = Options { extra_args: extra_args.iter().map(|a| a.to_string()).collect(), ..Options::default() };
    TestApp::start_with(options).await
}

/// Reads until the server closes the connection; returns what it sent and when it closed, or `None` if it still
/// had not after `patience`.
async fn closed_within(stream: &mut tokio::net::TcpStream, patience: Duration) -> Option<(Vec<u8>, Duration)> {
    use tokio::io::AsyncReadExt;
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at((started + patience).into(), stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some((got, started.elapsed())),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// Hole 5: a client that connects and sends nothing, or sends its headers a byte at a time, is cut off at the
/// header timeout instead of holding a connection for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_loris_clients_are_cut_off() {
    use tokio::io::AsyncWriteExt;
    let app = sev_with(&["--http-header-timeout-secs=1"]).await;
    let sev = Process::beside(&app).await;

    let mut silent = tokio::net::TcpStream::connect(sev.addr()).await.unwrap();
    let (_, after) = closed_within(&mut silent, Duration::from_secs(4)).await.expect("a silent client is cut off");
    assert!(after >= Duration::from_millis(900), "closed after {after:?}, before the timeout");

    let mut dripping = tokio::net::TcpStream::connect(sev.addr()).await.unwrap();
    let drip = async {
        for byte in b"GET / HTTP/1.1\r\nHost: sev\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" {
            if dripping.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    drip.await;
    let closed = closed_within(&mut dripping, Duration::from_secs(1)).await;
    assert!(closed.is_some(), "a client dripping its headers for 10 s was still connected");

    // An idle keep-alive connection is closed too, once its request was answered.
    let mut idle = tokio::net::TcpStream::connect(sev.addr()).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: sev\r\n\r\n").await.unwrap();
    let (answer, _) = closed_within(&mut idle, Duration::from_secs(4)).await.expect("an idle connection is closed");
    assert!(answer.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&answer));
}

/// Hole 5: a body sent too slowly is refused at the body timeout rather than read for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_body_is_refused() {
    use tokio::io::AsyncWriteExt;
    let app = sev_with(&["--http-body-timeout-secs=1", "--http-header-timeout-secs=30"]).await;
    let sev = Process::beside(&app).await;
    let mut stream = tokio::net::TcpStream::connect(sev.addr()).await.unwrap();
    stream
        .write_all(b"POST /eventsub/callback HTTP/1.1\r\nHost: sev\r\nContent-Length: 1000\r\n\r\n{\"a\":")
        .await
        .unwrap();
    let (answer, after) =
        closed_within(&mut stream, Duration::from_secs(5)).await.expect("the slow body is cut off within 5 s");
    let answer = String::from_utf8_lossy(&answer);
    assert!(after < Duration::from_secs(3), "cut off after {after:?}");
    assert!(answer.is_empty() || answer.starts_with("HTTP/1.1 4"), "{answer}");
}

/// Hole 5: a page render stuck on Twitch past the request timeout ends in a 503, not a hung request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stuck_render_ends_in_503() {
    let options = Options {
        twitch_timeout_ms: 10_000,
        extra_args: vec!["--http-request-timeout-secs=1".into()],
        ..Options::default()
    };
    let app = TestApp::start_with(options).await;
    let sev = Process::beside(&app).await;
    app.mock.set_delay(Some(Duration::from_secs(5)));
    let started = Instant::now();
    let page = bare_client().get(sev.url("/streamer/never_seen_before")).send().await.unwrap();
    let waited = started.elapsed();
    app.mock.set_delay(None);
    assert_eq!(page.status(), 503);
    assert!(waited < Duration::from_millis(2500), "answered after {waited:?}");
}

/// A GET of `path` from `client` (behind one trusted proxy, which names it in X-Forwarded-For).
async fn get_from(sev: &Process, path: &str, client: &str) -> reqwest::Response {
    bare_client().get(sev.url(path)).header("x-forwarded-for", client).send().await.unwrap()
}

/// Hole 4: one address that renders pages in a loop is refused with 429 and told when to come back; other
/// addresses are not; an IPv6 client cannot dodge the limit by changing addresses within its /64.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_floods_are_limited_per_address_and_ipv6_per_64() {
    let app = sev_with(&["--rate-limit-pages-per-min=5", "--trusted-proxy-hops=1"]).await;
    let sev = Process::beside(&app).await;
    for _ in 0..5 {
        assert_eq!(get_from(&sev, "/", "203.0.113.7").await.status(), 200);
    }
    let refused = get_from(&sev, "/", "203.0.113.7").await;
    assert_eq!(refused.status(), 429);
    let retry: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=12).contains(&retry), "Retry-After: {retry}");
    assert_eq!(refused.headers()["x-content-type-options"], "nosniff", "a 429 carries the security headers");
    assert!(refused.text().await.unwrap().contains("try again in"));
    assert_eq!(get_from(&sev, "/", "203.0.113.8").await.status(), 200, "another address");
    assert_eq!(get_from(&sev, "/healthz", "203.0.113.7").await.status(), 200, "health checks are not limited");

    for n in 0..5 {
        let status = get_from(&sev, "/", &format!("2001:db8:5:6::{n:x}")).await.status();
        assert_eq!(status, 200);
    }
    let dodging = get_from(&sev, "/", "2001:db8:5:6:ffff:1:2:3").await;
    assert_eq!(dodging.status(), 429, "another address in the same /64");
    assert_eq!(get_from(&sev, "/", "2001:db8:5:7::1").await.status(), 200, "another /64");
    let metrics = bare_client().get(sev.url("/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("sev_rate_limited_total{door=\"page\"} 2"), "{metrics}");
}

/// Hole 4: sign-ins are limited per address, and a refused one writes nothing: a flood of `/auth/login` cannot
/// fill the database with states.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_floods_are_limited_and_write_nothing() {
    let app = sev_with(&["--rate-limit-sign-ins-per-min=3"]).await;
    let sev = Process::beside(&app).await;
    let before = app.count("SELECT COUNT(*) FROM oauth_states").await;
    let mut statuses = Vec::new();
    for _ in 0..20 {
        statuses.push(bare_client().get(sev.url("/auth/login")).send().await.unwrap().status().as_u16());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 17, "{statuses:?}");
    assert!(app.count("SELECT COUNT(*) FROM oauth_states").await - before <= 3);
}

/// Hole 4: the favorite action is limited per address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn favorite_floods_are_limited() {
    let app = sev_with(&["--rate-limit-actions-per-min=2"]).await;
    let viewer = app.viewer_picking("busy_viewer", "pixel_panda").await;
    let path = <app::api::SetFavorite as leptos::server_fn::ServerFn>::PATH;
    let status = |login: &'static str| {
        let request = viewer.post(app.url(path)).header("accept", "application/json").form(&[("login", login)]);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    // The first pick above spent one of the two.
    assert_eq!(status("retro_rex").await, 200);
    assert_eq!(status("lofi_luna").await, 429);
}

/// The status a feed handshake from `client` (named in X-Forwarded-For) got: 101 when it opened.
async fn feed_status(sev: &Process, streamer_id: &str, client: &str) -> (u16, Option<common::feed::Socket>) {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let url = format!("{}{}", sev.base.replace("http://", "ws://"), app::feed::socket_path(streamer_id, Some(0)));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("origin", sev.base.parse().unwrap());
    request.headers_mut().insert("x-forwarded-for", client.parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Ok((socket, response)) => (response.status().as_u16(), Some(socket)),
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => (response.status().as_u16(), None),
        Err(other) => panic!("the handshake failed: {other}"),
    }
}

/// Hole 4: opening and closing feeds in a loop is limited per address, and the instance holds at most
/// WS_MAX_OPEN feeds from everyone together (503, so pages retry elsewhere).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn socket_churn_and_socket_totals_are_capped() {
    let app = sev_with(&["--rate-limit-sockets-per-min=4", "--ws-max-open=3", "--trusted-proxy-hops=1"]).await;
    let streamer = app.known_streamer("socket_streamer").await;
    let sev = Process::beside(&app).await;
    for _ in 0..4 {
        let (status, socket) = feed_status(&sev, &streamer, "198.51.100.1").await;
        assert_eq!(status, 101);
        drop(socket);
    }
    assert_eq!(feed_status(&sev, &streamer, "198.51.100.1").await.0, 429, "the fifth in a minute");

    let mut held = Vec::new();
    for n in 2..5 {
        let (status, socket) = feed_status(&sev, &streamer, &format!("198.51.100.{n}")).await;
        assert_eq!(status, 101);
        held.push(socket);
    }
    assert_eq!(feed_status(&sev, &streamer, "198.51.100.9").await.0, 503, "the instance is full");
    drop(held);
    let open = || async {
        let metrics = bare_client().get(sev.url("/metrics")).send().await.unwrap().text().await.unwrap();
        metrics.contains("sev_open_websockets 0")
    };
    app.eventually("the closed feeds free their slots", open).await;
    assert_eq!(feed_status(&sev, &streamer, "198.51.100.9").await.0, 101);
}

/// Hole 6: a write that comes from another site (a form or a script on another origin, riding the viewer's
/// cookies) is refused before it does anything; the same write from sev's own page goes through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_writes_are_refused() {
    let app = TestApp::start().await;
    let viewer = app.viewer_picking("cross_viewer", "pixel_panda").await;
    let path = <app::api::SetFavorite as leptos::server_fn::ServerFn>::PATH;
    let pick = |header: &'static str, value: &'static str| {
        let request = viewer.post(app.url(path)).header(header, value).form(&[("login", "retro_rex")]);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(pick("origin", "https://evil.example").await, 403);
    assert_eq!(pick("origin", "null").await, 403);
    assert_eq!(pick("sec-fetch-site", "cross-site").await, 403);
    assert_eq!(pick("sec-fetch-site", "same-site").await, 403, "a sibling subdomain is another origin");
    let logout = viewer.post(app.url("/auth/logout")).header("origin", "https://evil.example").send().await.unwrap();
    assert_eq!(logout.status(), 403);
    assert!(app.home(&viewer).await.contains("cross_viewer"), "still signed in");
    let favorite: Option<String> =
        sqlx::query_scalar("SELECT favorite_streamer_id FROM users WHERE login = 'cross_viewer'")
            .fetch_one(&app.db().await)
            .await
            .unwrap();
    let panda = twitch_mock::user_id_for("pixel_panda");
    assert_eq!(favorite.as_deref(), Some(panda.as_str()), "the refused picks changed nothing");

    let own: &'static str = Box::leak(app.base.clone().into_boxed_str());
    assert_eq!(pick("origin", own).await, 200, "from sev's own page");
}

/// Hole 6: over https every cookie is a `__Host-` cookie (Secure, Path=/, no Domain), which neither a plain-http
/// page nor a sibling subdomain can set or overwrite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_cookies_are_host_cookies() {
    let options = Options {
        adjust: Some(|s| s.public_url = url::Url::parse("https://sev.example").unwrap()),
        ..Options::default()
    };
    let app = TestApp::start_with(options).await;
    let set_cookies = |r: &reqwest::Response| -> Vec<String> {
        r.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect()
    };
    let login = bare_client().get(app.url("/auth/login")).send().await.unwrap();
    let logout = bare_client().post(app.url("/auth/logout")).send().await.unwrap();
    let cookies = [set_cookies(&login), set_cookies(&logout)].concat();
    assert_eq!(cookies.len(), 3, "{cookies:?}");
    for cookie in cookies {
        assert!(cookie.starts_with("__Host-sev_"), "{cookie}");
        assert!(cookie.contains("; Secure") && cookie.contains("Path=/;") && !cookie.contains("Domain"), "{cookie}");
    }
}
