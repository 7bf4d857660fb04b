//! The webhook path from the first byte: headers, signature check, envelope and the typed event parser, the way
//! sev runs them on a request from anyone on the internet.
//!
//! An input is one byte of flags, then the message id, timestamp and message type, one per line, then the body
//! (`scripts/fuzz` builds seeds of this shape from `testdata/twitch-payloads`). When the flags' low bit is set the
//! signature is computed correctly, so the parsers behind the signature check are fuzzed too, not only the check;
//! otherwise the fuzzer's own bytes stand in for it.
#![no_main]

use http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;

use app::events::{Event, event_time_ms, parse_rfc3339_ms};
use twitch::eventsub::{Envelope, MessageHeaders, sign, verify};

const SECRET: &str = "fuzzing-secret-0123";

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else { return };
    let mut parts = rest.splitn(4, |b| *b == b'\n');
    let line = |part: Option<&[u8]>| String::from_utf8_lossy(part.unwrap_or_default()).into_owned();
    let (id, timestamp, kind) = (line(parts.next()), line(parts.next()), line(parts.next()));
    let body = parts.next().unwrap_or_default();
    let signature = if flags & 1 == 1 { sign(SECRET, &id, &timestamp, body) } else { kind.chars().rev().collect() };
    let mut headers = HeaderMap::new();
    for (name, value) in [
        ("twitch-eventsub-message-id", id.as_str()),
        ("twitch-eventsub-message-timestamp", timestamp.as_str()),
        ("twitch-eventsub-message-type", kind.as_str()),
        ("twitch-eventsub-message-signature", signature.as_str()),
    ] {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    }
    let Ok(message) = MessageHeaders::from_headers(&headers) else { return };
    let _ = parse_rfc3339_ms(&message.timestamp);
    if !verify(SECRET, &message.message_id, &message.timestamp, body, &message.signature) {
        return;
    }
    let Ok(envelope) = serde_json::from_slice::<Envelope>(body) else { return };
    let sub = &envelope.subscription;
    if let Some(event) = &envelope.event {
        let parsed = Event::parse(&sub.kind, &sub.version, event);
        let _ = parsed.summary("1337");
        let _ = parsed.category();
        let _ = event_time_ms(&sub.kind, event);
    }
});
