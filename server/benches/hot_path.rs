//! The webhook hot path, step by step, so a change that slows one step shows up here before it shows up in
//! `sev-tools load`: verify (the HMAC signature of one notification), parse (the envelope and the typed event),
//! store (one event into SQLite, retention included, at both SQLite durabilities) and publish (the in-process bus
//! to one subscriber), and the request limits every request passes (`limits_webhook`, `limits_page`).
//!
//! `cargo bench -p sev --bench hot_path` (add `-- --quick` for a short run).

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};

use app::events::{Event, FeedEvent};
use sev::bus::{BusMessage, EventBus, LocalBus};
use sev::eventsub::Notification;
use sev::storage::{Db, Durability, NewEvent, PoolSettings, Stored};
use twitch::eventsub::{Envelope, sign, verify};

/// Twitch's documented channel.update notification: the event `sev-tools load` sends.
const BODY: &str = include_str!("../../testdata/twitch-payloads/channel.update.json");
const SECRET: &str = "bench-eventsub-secret";
const MESSAGE_ID: &str = "e76c6bd4-55c9-4987-8304-da1588d8988b";
const TIMESTAMP: &str = "2019-11-16T10:11:12.634234626Z";

fn verify_signature(c: &mut Criterion) {
    let signature = sign(SECRET, MESSAGE_ID, TIMESTAMP, BODY.as_bytes());
    c.bench_function("verify", |b| {
        b.iter(|| {
            assert!(verify(SECRET, MESSAGE_ID, TIMESTAMP, black_box(BODY.as_bytes()), black_box(&signature)));
        })
    });
}

fn parse_notification(c: &mut Criterion) {
    c.bench_function("parse", |b| {
        b.iter(|| {
            let envelope: Envelope = serde_json::from_slice(black_box(BODY.as_bytes())).unwrap();
            Notification::read(envelope, 0)
        })
    });
}

/// One event stored, at each SQLite durability: `store` is the default (every commit synced to disk), and
/// `store_normal` the cheaper setting that can lose the last acknowledged events to a power cut.
fn store_event(c: &mut Criterion) {
    store_with(c, "store", Durability::Full);
    store_with(c, "store_normal", Durability::Normal);
}

fn store_with(c: &mut Criterion, name: &str, durability: Durability) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/bench.db", dir.path().display());
    let db = runtime.block_on(Db::open_with(&url, PoolSettings { durability, ..PoolSettings::new(4) })).unwrap();
    let payload = serde_json::from_str::<serde_json::Value>(BODY).unwrap()["event"].to_string();
    let next = AtomicU64::new(0);
    c.bench_function(name, |b| {
        b.iter(|| {
            // A new message id each time, as each webhook has: a repeat would be a duplicate and store nothing.
            let message_id = format!("bench-{}", next.fetch_add(1, Ordering::Relaxed));
            let event = NewEvent {
                message_id: &message_id,
                streamer_id: "1337",
                kind: "channel.update",
                version: "2",
                occurred_at_ms: 1_700_000_000_000,
                received_at_ms: 1_700_000_000_000,
                dedupe_key: None,
                payload: &payload,
                online: None,
                offline_repeat_window_ms: None,
            };
            let stored = runtime.block_on(db.store_event(&event, 500)).unwrap();
            assert!(matches!(stored, Stored::New(_)), "a new event is stored");
        })
    });
}

fn publish_event(c: &mut Criterion) {
    let bus = LocalBus::default();
    let mut page = bus.subscribe("1337");
    let event = FeedEvent {
        id: 1,
        streamer_id: "1337".into(),
        subscription_type: "channel.update".into(),
        version: "2".into(),
        occurred_at_ms: 0,
        event: Event::ChannelUpdate {
            title: "Best Stream Ever".into(),
            category_name: "Fortnite".into(),
            language: "en".into(),
        },
    };
    c.bench_function("publish", |b| {
        b.iter(|| {
            bus.publish(black_box(event.clone()));
            match page.try_recv() {
                Ok(BusMessage::Event(published)) => published,
                other => panic!("the subscriber should get the event, got {other:?}"),
            }
        })
    });
}

/// What the request limits add to each request before its handler runs: the door a request comes through, the
/// cross-site check, and a rate-limit check for an address among 10,000 (a webhook goes through the first two
/// and is never rate limited; a page view goes through all three).
fn limits(c: &mut Criterion) {
    use http::{HeaderMap, Method};
    use sev::rate_limit::{Budgets, Door, RateLimits};
    let budgets = std::num::NonZeroU32::new(1_000_000);
    let limits = RateLimits::new(Budgets { pages: budgets, sign_ins: budgets, actions: budgets, sockets: budgets });
    let addresses: Vec<std::net::IpAddr> =
        (0..10_000u32).map(|n| std::net::Ipv4Addr::from(0x0a00_0000 + n).into()).collect();
    let headers = HeaderMap::new();
    let next = AtomicU64::new(0);
    c.bench_function("limits_webhook", |b| {
        b.iter(|| {
            let door = Door::of(black_box(&Method::POST), black_box("/eventsub/callback"));
            let checked = sev::cross_site::checked(&Method::POST, "/eventsub/callback")
                && sev::cross_site::from_own_page(&headers, "http://x");
            black_box((door, checked))
        })
    });
    c.bench_function("limits_page", |b| {
        b.iter(|| {
            let door = Door::of(black_box(&Method::GET), black_box("/streamer/pixel_panda")).unwrap();
            let address = addresses[(next.fetch_add(1, Ordering::Relaxed) % 10_000) as usize];
            black_box(limits.check(door, address)).unwrap()
        })
    });
}

criterion_group!(hot_path, verify_signature, parse_notification, store_event, publish_event, limits);
criterion_main!(hot_path);
