//! A streamer's feed as a page holds it, opened over a real WebSocket from sev's own origin.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use app::feed::{ServerMessage, socket_path};

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Opens `streamer_id`'s feed on the instance at `base`, resuming as a page does, and reads its first message,
/// the catch-up.
pub async fn open_feed(base: &str, streamer_id: &str) -> Socket {
    let url = format!("{}{}", base.replace("http://", "ws://"), socket_path(streamer_id, Some(0)));
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert("origin", base.parse().unwrap());
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert!(matches!(next(&mut socket, Duration::from_secs(3)).await, Some(ServerMessage::Catchup { .. })));
    socket
}

/// The next text message within `wait`; `None` when none comes or the socket ends.
pub async fn next(socket: &mut Socket, wait: Duration) -> Option<ServerMessage> {
    loop {
        match tokio::time::timeout(wait, socket.next()).await {
            Ok(Some(Ok(Message::Text(text)))) => return Some(serde_json::from_str(&text).unwrap()),
            Ok(Some(Ok(_))) => continue,
            _ => return None,
        }
    }
}

/// Reads messages for `wait` and returns the event ids, in arrival order.
pub async fn ids_within(socket: &mut Socket, wait: Duration) -> Vec<i64> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut ids = Vec::new();
    while let Some(left) = deadline.checked_duration_since(tokio::time::Instant::now()) {
        match next(socket, left).await {
            Some(ServerMessage::Event { event }) => ids.push(event.id),
            Some(ServerMessage::Catchup { events }) => ids.extend(events.iter().map(|e| e.id)),
            None => break,
        }
    }
    ids
}
