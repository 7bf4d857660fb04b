//! The streamer page's live feed over a real WebSocket: the real sev against the mock Twitch, events delivered
//! through sev's own webhook (or published straight onto its bus), read by tokio-tungstenite clients.

mod common;

use std::time::Duration;

use futures_util::{Stream, StreamExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::{Instant, timeout, timeout_at};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, Request, StatusCode};
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use app::events::{Event, FeedEvent};
use app::feed::{ServerMessage, socket_path};
use common::{Options, TestApp};
use twitch_mock::{payloads, user_id_for};

/// The longest any single expected message may take.
const WAIT: Duration = Duration::from_secs(3);
/// How long a feed must stay silent to count as having sent nothing more.
const QUIET: Duration = Duration::from_millis(300);

/// The handshake request for a streamer's feed, with `origin` as the Origin header (none if `None`).
fn feed_request(app: &TestApp, streamer_id: &str, after: Option<i64>, origin: Option<&str>) -> Request<()> {
    let url = format!("ws://{}{}", app.addr, socket_path(streamer_id, after));
    let mut request = url.into_client_request().unwrap();
    if let Some(origin) = origin {
        request.headers_mut().insert("origin", HeaderValue::from_str(origin).unwrap());
    }
    request
}

/// Opens a streamer's feed from sev's own origin, as its pages do.
async fn open_feed(app: &TestApp, streamer_id: &str, after: Option<i64>) -> WebSocketStream<MaybeTlsStream<TcpStream>> {
    let request = feed_request(app, streamer_id, after, Some(&app.base));
    let (socket, response) = timeout(WAIT, tokio_tungstenite::connect_async(request))
        .await
        .expect("the handshake timed out")
        .expect("the handshake failed");
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    socket
}

/// The status a refused handshake answered with.
async fn refused_status(request: Request<()>) -> StatusCode {
    match timeout(WAIT, tokio_tungstenite::connect_async(request)).await.expect("the handshake timed out") {
        Err(WsError::Http(response)) => response.status(),
        Err(other) => panic!("expected an HTTP refusal, got {other}"),
        Ok(_) => panic!("the handshake should have been refused"),
    }
}

/// The next message from the feed, or `None` if nothing arrives within `wait`. Pings and pongs are skipped; a
/// closed or broken connection fails the test.
async fn next_within<S>(socket: &mut S, wait: Duration) -> Option<ServerMessage>
where
    S: Stream<Item = Result<Message, WsError>> + Unpin,
{
    let deadline = Instant::now() + wait;
    loop {
        let frame = timeout_at(deadline, socket.next()).await.ok()?;
        match frame {
            Some(Ok(Message::Text(text))) => {
                let parsed = serde_json::from_str(text.as_str());
                return Some(parsed.unwrap_or_else(|e| panic!("not a server message ({e}): {}", text.as_str())));
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("the feed ended or sent something unexpected: {other:?}"),
        }
    }
}

async fn next_message<S>(socket: &mut S) -> ServerMessage
where
    S: Stream<Item = Result<Message, WsError>> + Unpin,
{
    next_within(socket, WAIT).await.expect("the feed sent nothing in time")
}

async fn next_event<S>(socket: &mut S) -> FeedEvent
where
    S: Stream<Item = Result<Message, WsError>> + Unpin,
{
    match next_message(socket).await {
        ServerMessage::Event { event } => *event,
        other => panic!("expected one event, got {other:?}"),
    }
}

async fn assert_quiet<S>(socket: &mut S)
where
    S: Stream<Item = Result<Message, WsError>> + Unpin,
{
    if let Some(extra) = next_within(socket, QUIET).await {
        panic!("the feed sent more than expected: {extra:?}");
    }
}

/// A viewer picks pixel_panda, so sev subscribes; returns the streamer's id and its `channel.update` subscription.
async fn watched_streamer(app: &TestApp) -> (String, String) {
    let panda = user_id_for("pixel_panda");
    app.viewer_picking("big_fan", "pixel_panda").await;
    let update = app.mock_subscriptions_of(&panda).into_iter().find(|s| s.kind == "channel.update").unwrap();
    (panda, update.id)
}

/// Delivers one `channel.update` per `seq` through sev's webhook (distinct seqs make distinct events).
async fn deliver_updates(app: &TestApp, subscription_id: &str, seqs: std::ops::Range<u64>) {
    let profile = twitch_mock::profile_for("pixel_panda", "http://x");
    for seq in seqs {
        let delivery =
            app.mock.deliver(subscription_id, payloads::event("channel.update", "2", &profile, seq)).await.unwrap();
        assert!((200..300).contains(&delivery.status), "delivery {seq} answered {}", delivery.status);
    }
}

/// The streamer's stored event ids, oldest first.
async fn stored_ids(app: &TestApp, streamer_id: &str) -> Vec<i64> {
    let mut ids: Vec<i64> =
        app.state().db.recent_events(streamer_id, 1000).await.unwrap().into_iter().map(|e| e.id).collect();
    ids.reverse();
    ids
}

fn ids(events: &[FeedEvent]) -> Vec<i64> {
    events.iter().map(|e| e.id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_client_gets_each_published_event_once_in_order() {
    let app = TestApp::start().await;
    let (panda, update) = watched_streamer(&app).await;
    let mut feed = open_feed(&app, &panda, Some(0)).await;
    match next_message(&mut feed).await {
        ServerMessage::Catchup { events } => assert!(events.is_empty(), "nothing was stored yet: {events:?}"),
        other => panic!("a resuming client first gets a catch-up, got {other:?}"),
    }

    deliver_updates(&app, &update, 0..5).await;
    let mut received = Vec::new();
    for _ in 0..5 {
        received.push(next_event(&mut feed).await);
    }
    assert_quiet(&mut feed).await;

    assert!(received.windows(2).all(|w| w[0].id < w[1].id), "in order: {:?}", ids(&received));
    assert_eq!(ids(&received), stored_ids(&app, &panda).await, "exactly the stored events");
    for event in &received {
        assert_eq!(event.streamer_id, panda);
        assert_eq!(event.subscription_type, "channel.update");
        assert!(matches!(event.event, Event::ChannelUpdate { .. }), "{event:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resuming_sends_the_newest_stored_events_for_the_page_to_merge() {
    let app = TestApp::start().await;
    let (panda, update) = watched_streamer(&app).await;
    deliver_updates(&app, &update, 0..6).await;
    let stored = stored_ids(&app, &panda).await;
    assert_eq!(stored.len(), 6);

    // The page's newest is the second: it gets the newest stored events, oldest first, and merges them by id, so
    // an event it lacks below its newest (stored on another instance during a bus outage) is filled in too.
    let mut feed = open_feed(&app, &panda, Some(stored[1])).await;
    match next_message(&mut feed).await {
        ServerMessage::Catchup { events } => {
            assert_eq!(ids(&events), stored, "the newest stored events, oldest first");
            assert!(events.iter().all(|e| e.streamer_id == panda && e.subscription_type == "channel.update"));
        }
        other => panic!("a resuming client first gets a catch-up, got {other:?}"),
    }
    assert_quiet(&mut feed).await;

    deliver_updates(&app, &update, 6..7).await;
    let new = next_event(&mut feed).await;
    assert!(new.id > stored[5], "the new event comes after the caught-up ones: {} <= {}", new.id, stored[5]);
    assert_eq!(stored_ids(&app, &panda).await.last(), Some(&new.id));
    assert_quiet(&mut feed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_long_absence_the_catch_up_is_the_newest_ten_not_the_oldest_missed() {
    let app = TestApp::start().await;
    let (panda, update) = watched_streamer(&app).await;
    deliver_updates(&app, &update, 0..1).await;
    let seen = stored_ids(&app, &panda).await[0];
    // 150 events while the page was away.
    deliver_updates(&app, &update, 1..151).await;
    let stored = stored_ids(&app, &panda).await;
    assert_eq!(stored.len(), 151);

    let mut feed = open_feed(&app, &panda, Some(seen)).await;
    let ServerMessage::Catchup { events } = next_message(&mut feed).await else { panic!("a catch-up comes first") };
    assert_eq!(ids(&events), stored[141..], "the ten newest, oldest first");
    let mut page = Vec::new();
    app::feed::merge(&mut page, events);
    assert_eq!(page.first().map(|e| e.id), stored.last().copied(), "the page shows the real latest event");
    assert_quiet(&mut feed).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connecting_without_after_gets_only_new_events() {
    let app = TestApp::start().await;
    let (panda, update) = watched_streamer(&app).await;
    deliver_updates(&app, &update, 0..3).await;
    let older = stored_ids(&app, &panda).await;
    assert_eq!(older.len(), 3);

    let mut feed = open_feed(&app, &panda, None).await;
    // Without `after` there is nothing to catch up on: at most an empty catch-up, and no old event.
    if let Some(message) = next_within(&mut feed, QUIET).await {
        assert_eq!(message, ServerMessage::Catchup { events: Vec::new() }, "old events must not be sent");
    }

    deliver_updates(&app, &update, 3..5).await;
    let first = next_event(&mut feed).await;
    let second = next_event(&mut feed).await;
    assert!(first.id > older[2] && second.id > first.id, "{} then {} after {older:?}", first.id, second.id);
    assert_eq!(stored_ids(&app, &panda).await[3..], [first.id, second.id]);
    assert_quiet(&mut feed).await;
}

/// Events of this size fill a socket's buffers after a few hundred, so a client that stops reading really
/// stalls its connection (and falls behind on the bus) long before the test stops publishing.
const BIG_TITLE_BYTES: usize = 32 * 1024;
/// More than the bus buffer (256) plus what the kernel buffers for the stalled socket (at most 4 MiB, 128 events;
/// about 90 in practice).
const MANY_EVENTS: i64 = 500;
const BATCH: i64 = 50;

fn big_event(streamer_id: &str, id: i64) -> FeedEvent {
    FeedEvent {
        id,
        streamer_id: streamer_id.to_string(),
        subscription_type: "channel.update".into(),
        version: "2".into(),
        occurred_at_ms: 1_700_000_000_000 + id,
        event: Event::ChannelUpdate {
            title: format!("{id:06} {}", "x".repeat(BIG_TITLE_BYTES)),
            category_name: "Just Chatting".into(),
            language: "en".into(),
        },
    }
}

/// A feed client with a tiny receive buffer, so that once the test stops reading it, it stalls quickly.
async fn open_stalled_feed(app: &TestApp, streamer_id: &str) -> WebSocketStream<TcpStream> {
    let tcp = TcpSocket::new_v4().unwrap();
    tcp.set_recv_buffer_size(4096).unwrap();
    let stream = tcp.connect(app.addr).await.unwrap();
    let request = feed_request(app, streamer_id, Some(0), Some(&app.base));
    let (socket, response) = timeout(WAIT, tokio_tungstenite::client_async(request, stream))
        .await
        .expect("the handshake timed out")
        .expect("the handshake failed");
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    socket
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_client_does_not_slow_a_fast_one() {
    let app = TestApp::start().await;
    let streamer = &app.known_streamer("stalled_watch").await;
    // Resuming makes the server answer with a catch-up, sent only once the socket is subscribed to the bus.
    let mut stalled = open_stalled_feed(&app, streamer).await;
    assert_eq!(next_message(&mut stalled).await, ServerMessage::Catchup { events: Vec::new() });
    let mut fast = open_feed(&app, streamer, Some(0)).await;
    assert_eq!(next_message(&mut fast).await, ServerMessage::Catchup { events: Vec::new() });
    // From here on, the test does not read `stalled` until the fast client has everything.
    app.state().bus.publish(big_event(streamer, 1));
    assert_eq!(next_event(&mut fast).await.id, 1);

    let started = std::time::Instant::now();
    let mut next_id = 2;
    while next_id <= MANY_EVENTS {
        let batch_end = (next_id + BATCH).min(MANY_EVENTS + 1);
        for id in next_id..batch_end {
            app.state().bus.publish(big_event(streamer, id));
        }
        for id in next_id..batch_end {
            let event = next_event(&mut fast).await;
            assert_eq!(event.id, id, "the fast client gets every event, in order");
            assert!(event.summary().contains(&format!("{id:06}")), "the event arrives whole");
        }
        next_id = batch_end;
    }
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "the fast client took {took:?} for {MANY_EVENTS} events");
    assert_quiet(&mut fast).await;

    // The stalled client fell behind but was kept: once it reads, it gets what its socket held, then a catch-up
    // with the newest events the bus carried (remembered in memory: these events were never stored), skipping
    // the backlog it can no longer use, then the bus's next events, in order throughout.
    let mut received = 0;
    let mut catchups = 0;
    let mut last = 0;
    while last < MANY_EVENTS {
        match next_message(&mut stalled).await {
            ServerMessage::Event { event } => {
                assert!(event.id > last, "event {} after {last}", event.id);
                last = event.id;
                received += 1;
            }
            ServerMessage::Catchup { events } => {
                for event in events {
                    assert!(event.id > last, "caught up on {} after {last}", event.id);
                    last = event.id;
                    received += 1;
                }
                catchups += 1;
            }
        }
    }
    assert!(catchups >= 1, "the stalled client never lagged ({received} events): the test did not stall it");
    assert!(received < MANY_EVENTS, "a lagging client skips what it missed; it got {received}");

    // It is still live afterwards.
    app.state().bus.publish(big_event(streamer, MANY_EVENTS + 1));
    assert_eq!(next_event(&mut stalled).await.id, MANY_EVENTS + 1);
    assert_eq!(next_event(&mut fast).await.id, MANY_EVENTS + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_or_missing_origin_and_a_bad_streamer_id_are_refused() {
    let app = TestApp::start().await;
    let panda = app.known_streamer("pixel_panda").await;
    let evil = feed_request(&app, &panda, Some(0), Some("https://evil.example"));
    assert_eq!(refused_status(evil).await, StatusCode::FORBIDDEN);
    assert_eq!(refused_status(feed_request(&app, &panda, Some(0), None)).await, StatusCode::FORBIDDEN);
    // Same host, other scheme: still another origin.
    let other_scheme = app.base.replacen("http://", "https://", 1);
    assert_eq!(refused_status(feed_request(&app, &panda, None, Some(&other_scheme))).await, StatusCode::FORBIDDEN);

    let not_digits = feed_request(&app, "pixel_panda", None, Some(&app.base));
    assert_eq!(refused_status(not_digits).await, StatusCode::BAD_REQUEST);
    let too_long = feed_request(&app, &"1".repeat(33), None, Some(&app.base));
    assert_eq!(refused_status(too_long).await, StatusCode::BAD_REQUEST);

    // With the right origin and id, the same feed opens.
    let mut feed = open_feed(&app, &panda, Some(0)).await;
    assert_eq!(next_message(&mut feed).await, ServerMessage::Catchup { events: Vec::new() });
}

/// A feed handshake that says it was forwarded for `client` by one proxy.
fn forwarded_feed(app: &TestApp, streamer_id: &str, client: &str) -> Request<()> {
    let mut request = feed_request(app, streamer_id, None, Some(&app.base));
    let forged_then_real = format!("6.6.6.6, {client}");
    request.headers_mut().insert("x-forwarded-for", HeaderValue::from_str(&forged_then_real).unwrap());
    request
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_client_address_behind_a_trusted_proxy_gets_its_own_share_of_feeds() {
    let extra_args = vec!["--ws-max-per-address=2".to_string(), "--trusted-proxy-hops=1".to_string()];
    let app = TestApp::start_with(Options { extra_args, ..Options::default() }).await;
    let panda = app.known_streamer("pixel_panda").await;
    let mut open = Vec::new();
    for _ in 0..2 {
        let (socket, _) = tokio_tungstenite::connect_async(forwarded_feed(&app, &panda, "198.51.100.1")).await.unwrap();
        open.push(socket);
    }
    assert_eq!(refused_status(forwarded_feed(&app, &panda, "198.51.100.1")).await, StatusCode::TOO_MANY_REQUESTS);
    // Another viewer behind the same proxy is not lumped in, whatever the first one forged on the left.
    let (other, _) = tokio_tungstenite::connect_async(forwarded_feed(&app, &panda, "198.51.100.2")).await.unwrap();
    open.push(other);
    // Closing a feed gives its slot back.
    open.remove(0).close(None).await.unwrap();
    let mut reopened = None;
    for _ in 0..50 {
        if let Ok((socket, _)) = tokio_tungstenite::connect_async(forwarded_feed(&app, &panda, "198.51.100.1")).await {
            reopened = Some(socket);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(reopened.is_some(), "the freed slot can be used again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_trusted_proxies_a_forged_forwarded_header_does_not_dodge_the_cap() {
    let extra_args = vec!["--ws-max-per-address=1".to_string()];
    let app = TestApp::start_with(Options { extra_args, ..Options::default() }).await;
    let panda = app.known_streamer("pixel_panda").await;
    let (_first, _) = tokio_tungstenite::connect_async(forwarded_feed(&app, &panda, "198.51.100.1")).await.unwrap();
    assert_eq!(refused_status(forwarded_feed(&app, &panda, "198.51.100.2")).await, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_of_made_up_streamers_are_refused_before_anything_is_held() {
    let app = TestApp::start().await;
    for id in 0..1000u64 {
        let request = feed_request(&app, &(9_000_000_000 + id).to_string(), Some(0), Some(&app.base));
        assert_eq!(refused_status(request).await, StatusCode::NOT_FOUND);
    }
    assert_eq!(app.state().bus.local().watched(), 0, "the bus holds nothing for them");
    // A streamer sev knows is watched while its page is open, and forgotten by the bus once it closes.
    let known = app.known_streamer("pixel_panda").await;
    let mut feed = open_feed(&app, &known, Some(0)).await;
    assert_eq!(next_message(&mut feed).await, ServerMessage::Catchup { events: Vec::new() });
    assert_eq!(app.state().bus.local().watched(), 1);
    drop(feed);
    app.eventually("the closed feed's channel is dropped", || async { app.state().bus.local().watched() == 0 }).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_the_server_closes_feeds_with_going_away_so_pages_reconnect_at_once() {
    let mut app = TestApp::start().await;
    let streamer = app.known_streamer("pixel_panda").await;
    let mut feed = open_feed(&app, &streamer, Some(0)).await;
    assert_eq!(next_message(&mut feed).await, ServerMessage::Catchup { events: Vec::new() });
    app.server.take().unwrap().stop().await;
    let close = timeout(WAIT, async {
        loop {
            match feed.next().await {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => continue,
                other => panic!("the feed ended without a close frame: {other:?}"),
            }
        }
    })
    .await
    .expect("no close frame in time");
    let frame = close.expect("a close frame with a code");
    assert_eq!(u16::from(frame.code), 1001, "going away: {frame:?}");
}
