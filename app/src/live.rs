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
}
