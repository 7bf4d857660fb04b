//! The WebSocket protocol between the streamer page and the server, typed on both sides.
//!
//! The page connects to `/ws/streamer/{streamer_id}?after={id}`, where `id` is the newest event it already
//! shows (its presence asks for a catch-up). The server first sends the newest stored events (`Catchup`), then
//! each new event as it is stored (`Event`). If the connection falls behind, or the bus between instances comes
//! back after an outage, the server sends a fresh `Catchup` of the newest stored events it has not sent. The page
//! merges by id and keeps the newest ten: nothing shows twice, and a gap left by events delivered out of order
//! (a lower id stored on another instance) is filled.

use serde::{Deserialize, Serialize};

use crate::events::FeedEvent;

/// The path of a streamer's feed socket.
pub fn socket_path(streamer_id: &str, after: Option<i64>) -> String {
    match after {
        Some(id) => format!("/ws/streamer/{streamer_id}?after={id}"),
        None => format!("/ws/streamer/{streamer_id}"),
    }
}

/// Reads the resume parameter from a feed socket's query string: `after=<id>` (an event id, 0 or more), or
/// nothing. Other parameters are ignored; a bad or repeated `after` is an error saying what is wrong, since the
/// query comes from anyone and must never be guessed at.
pub fn resume_after(query: &str) -> Result<Option<i64>, &'static str> {
    let mut after = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        if key != "after" {
            continue;
        }
        if after.is_some() {
            return Err("`after` is given more than once");
        }
        const NOT_AN_ID: &str = "`after` must be an event id: up to 18 digits";
        if value.is_empty() || value.len() > 18 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NOT_AN_ID);
        }
        after = Some(value.parse::<i64>().map_err(|_| NOT_AN_ID)?);
    }
    Ok(after)
}

/// How many events the streamer page shows.
pub const FEED_LENGTH: usize = 10;

/// Adds the events a page does not show yet (by id) to its list, newest first, keeping [`FEED_LENGTH`]. Returns
/// the ids added. Because ids only grow, a catch-up that overlaps what the page has adds nothing twice.
pub fn merge(items: &mut Vec<FeedEvent>, incoming: Vec<FeedEvent>) -> Vec<i64> {
    let mut added = Vec::new();
    for event in incoming {
        if items.iter().any(|e| e.id == event.id) {
            continue;
        }
        added.push(event.id);
        items.push(event);
    }
    items.sort_by_key(|e| std::cmp::Reverse(e.id));
    items.truncate(FEED_LENGTH);
    added.retain(|id| items.iter().any(|e| e.id == *id));
    added
}

/// What the server sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The newest stored events the connection has not sent yet, oldest first.
    Catchup { events: Vec<FeedEvent> },
    /// One new event.
    Event { event: Box<FeedEvent> },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Event;

    fn event(id: i64) -> FeedEvent {
        FeedEvent {
            id,
            streamer_id: "1".into(),
            subscription_type: "stream.offline".into(),
            version: "1".into(),
            occurred_at_ms: 0,
            event: Event::StreamOffline,
        }
    }

    #[test]
    fn merging_keeps_the_newest_ten_newest_first_without_repeats() {
        let mut items: Vec<FeedEvent> = (1..=5).rev().map(event).collect();
        let added = merge(&mut items, (4..=12).map(event).collect());
        assert_eq!(added, (6..=12).collect::<Vec<_>>());
        assert_eq!(items.iter().map(|e| e.id).collect::<Vec<_>>(), (3..=12).rev().collect::<Vec<_>>());
        assert!(merge(&mut items, vec![event(12), event(11)]).is_empty(), "a repeat adds nothing");
        assert!(merge(&mut items, vec![event(1)]).is_empty(), "an event older than the ten shown is not added");
    }

    #[test]
    fn messages_are_tagged_json() {
        let event = event(3);
        let text = serde_json::to_string(&ServerMessage::Event { event: Box::new(event.clone()) }).unwrap();
        assert!(text.starts_with(r#"{"type":"event""#), "{text}");
        assert_eq!(
            serde_json::from_str::<ServerMessage>(&text).unwrap(),
            ServerMessage::Event { event: Box::new(event) }
        );
        assert_eq!(socket_path("42", Some(7)), "/ws/streamer/42?after=7");
    }

    #[test]
    fn the_resume_parameter_is_an_event_id_or_nothing() {
        assert_eq!(resume_after("after=7"), Ok(Some(7)));
        assert_eq!(resume_after(""), Ok(None));
        assert_eq!(resume_after("x=1&after=0&y"), Ok(Some(0)));
        for bad in ["after=", "after=-1", "after=1e3", "after=%31", "after=1&after=2", "after=9999999999999999999"] {
            assert!(resume_after(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        /// Whatever batches arrive, in whatever order and however they overlap, the page ends up showing exactly
        /// the newest ten distinct events, newest first, and `added` names only events that were new and stayed.
        #[test]
        fn merging_any_batches_shows_the_newest_ten_once(
            batches in proptest::collection::vec(proptest::collection::vec(1i64..60, 0..15), 0..12)
        ) {
            let mut items = Vec::new();
            let mut all = std::collections::BTreeSet::new();
            for batch in batches {
                let before: Vec<i64> = items.iter().map(|e: &FeedEvent| e.id).collect();
                let added = merge(&mut items, batch.iter().copied().map(event).collect());
                all.extend(batch);
                for id in &added {
                    proptest::prop_assert!(!before.contains(id), "{id} was shown already");
                    proptest::prop_assert!(items.iter().any(|e| e.id == *id), "{id} was added but is not shown");
                }
                let shown: Vec<i64> = items.iter().map(|e| e.id).collect();
                let newest: Vec<i64> = all.iter().rev().take(FEED_LENGTH).copied().collect();
                proptest::prop_assert_eq!(shown, newest);
            }
        }

        /// Any query string either parses or is refused; what parses is the id that was written.
        #[test]
        fn any_resume_query_parses_or_is_refused(query in ".{0,40}", id in 0i64..=999_999_999_999_999_999) {
            let _ = resume_after(&query);
            proptest::prop_assert_eq!(resume_after(&format!("after={id}")), Ok(Some(id)));
        }
    }
}
