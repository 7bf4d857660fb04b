//! The WebSocket clients: each opens one streamer's live feed on one target, as a streamer page does, and keeps
//! a tally of the events it receives: how often each arrived, how long after its webhook was sent, and anything
//! that was not for it.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use hdrhistogram::Histogram;
use http::HeaderValue;
use tokio::sync::{Semaphore, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

use app::events::Event;
use app::feed::{ServerMessage, socket_path};

use super::ledger::{self, Ledger};
use super::{Plan, spread};

/// Connections being set up at once: a burst of thousands of handshakes would overflow the server's accept queue
/// and measure that rather than sev.
const CONNECTING_AT_ONCE: usize = 64;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// tungstenite makes its whole read buffer resident (128 KiB by default); frames are a few hundred bytes, and
/// thousands of clients should not need gigabytes.
const READ_BUFFER_BYTES: usize = 16 * 1024;
/// Latencies are kept in microseconds, up to a minute, to three significant digits.
const LONGEST_LATENCY_MICROS: u64 = 60_000_000;

pub fn latency_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, LONGEST_LATENCY_MICROS, 3).expect("valid histogram bounds")
}

/// How a client's connection went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    Open,
    /// sev answered the upgrade with this status (429: too many from this address; 403: wrong origin).
    Refused(u16),
    Failed(String),
}

/// One client's tally.
#[derive(Debug)]
pub struct Outcome {
    pub streamer: usize,
    pub target: usize,
    pub connection: Connection,
    /// The server closed the socket, or it failed, before the run ended.
    pub closed_early: bool,
    /// Times each of this run's events arrived, by sequence number.
    pub received: HashMap<u64, u32>,
    /// Events that were not this run's events for this streamer.
    pub foreign: u64,
    /// Events received, repeats included.
    pub frames: u64,
    pub latency: Histogram<u64>,
    pub last_frame: Option<Instant>,
}

impl Outcome {
    pub(super) fn new(streamer: usize, target: usize, connection: Connection) -> Self {
        Outcome {
            streamer,
            target,
            connection,
            closed_early: false,
            received: HashMap::new(),
            foreign: 0,
            frames: 0,
            latency: latency_histogram(),
            last_frame: None,
        }
    }

    /// Counts the events in one text frame.
    fn frame(&mut self, text: &str, run: &str, ledger: &Ledger, arrived: Instant) {
        let events = match serde_json::from_str::<ServerMessage>(text) {
            Ok(ServerMessage::Event { event }) => vec![*event],
            Ok(ServerMessage::Catchup { events }) => events,
            Err(_) => {
                self.foreign += 1;
                return;
            }
        };
        self.last_frame = Some(arrived);
        for event in events {
            self.frames += 1;
            let seq = match &event.event {
                Event::ChannelUpdate { title, .. } => ledger::seq_in(title, run),
                _ => None,
            };
            let Some(seq) = seq.filter(|seq| *seq < ledger.total() && ledger.streamer_of(*seq) == self.streamer) else {
                self.foreign += 1;
                continue;
            };
            let times = self.received.entry(seq).or_insert(0);
            *times += 1;
            if *times == 1 {
                ledger.delivered_first();
                if let Some(latency) = ledger.latency(seq, arrived) {
                    let micros = (latency.as_micros() as u64).clamp(1, LONGEST_LATENCY_MICROS);
                    let _ = self.latency.record(micros);
                }
            }
        }
    }
}

/// The clients, connected (or not), reading until told to stop.
pub struct Clients {
    tasks: Vec<JoinHandle<Outcome>>,
    /// The streamer of each client that connected.
    connected: Vec<usize>,
}

impl Clients {
    pub fn connected_streamers(&self) -> impl Iterator<Item = usize> + '_ {
        self.connected.iter().copied()
    }

    /// Waits for every client to stop (after `stop` was sent) and returns their tallies.
    pub async fn finish(self) -> Vec<Outcome> {
        let mut outcomes = Vec::with_capacity(self.tasks.len());
        for task in self.tasks {
            match task.await {
                Ok(outcome) => outcomes.push(outcome),
                Err(e) => tracing::error!(error = %e, "a load client task failed"),
            }
        }
        outcomes
    }
}

/// A target's base URL with the WebSocket scheme (http → ws), without a trailing slash.
pub(super) fn ws_base(target: &url::Url) -> String {
    let base = target.as_str().trim_end_matches('/');
    base.strip_prefix("http").map(|rest| format!("ws{rest}")).unwrap_or_else(|| base.to_string())
}

/// The feed URL of `streamer_id` on `target`.
fn feed_url(target: &url::Url, streamer_id: &str) -> String {
    format!("{}{}", ws_base(target), socket_path(streamer_id, None))
}

/// Opens every client and returns once each has connected or failed to.
pub async fn open(plan: &Plan, run: &str, ledger: Arc<Ledger>, stop: watch::Receiver<bool>) -> Clients {
    let connecting = Arc::new(Semaphore::new(CONNECTING_AT_ONCE));
    let mut tasks = Vec::with_capacity(plan.clients);
    let mut ready = Vec::with_capacity(plan.clients);
    for index in 0..plan.clients {
        let streamer = index % plan.streamers.len();
        let target = spread(index, plan.streamers.len(), plan.targets.len());
        let url = feed_url(&plan.targets[target], &plan.streamers[streamer].id);
        let origin = plan.origin_for(&plan.targets[target]);
        let (connected, is_connected) = oneshot::channel();
        let (connecting, ledger, stop, run) = (connecting.clone(), ledger.clone(), stop.clone(), run.to_string());
        tasks.push(tokio::spawn(async move {
            let permit = connecting.acquire_owned().await;
            let socket = connect(&url, &origin).await;
            drop(permit);
            let connection = match &socket {
                Ok(_) => Connection::Open,
                Err(connection) => connection.clone(),
            };
            let _ = connected.send(connection.clone());
            let mut outcome = Outcome::new(streamer, target, connection);
            if let Ok(socket) = socket {
                read(socket, &mut outcome, &run, &ledger, stop).await;
            }
            outcome
        }));
        ready.push((streamer, is_connected));
    }
    let mut connected = Vec::new();
    for (streamer, is_connected) in ready {
        if is_connected.await == Ok(Connection::Open) {
            connected.push(streamer);
        }
    }
    Clients { tasks, connected }
}

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub(super) async fn connect(url: &str, origin: &str) -> Result<Socket, Connection> {
    let mut request = url.into_client_request().map_err(|e| Connection::Failed(format!("{url}: {e}")))?;
    let origin = HeaderValue::from_str(origin).map_err(|_| Connection::Failed(format!("bad origin {origin:?}")))?;
    request.headers_mut().insert(http::header::ORIGIN, origin);
    let config = WebSocketConfig::default().read_buffer_size(READ_BUFFER_BYTES);
    let connecting = tokio_tungstenite::connect_async_with_config(request, Some(config), false);
    match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
        Ok(Ok((socket, _))) => Ok(socket),
        Ok(Err(WsError::Http(response))) => Err(Connection::Refused(response.status().as_u16())),
        Ok(Err(e)) => Err(Connection::Failed(format!("{url}: {e}"))),
        Err(_) => Err(Connection::Failed(format!("{url}: no answer in {} s", CONNECT_TIMEOUT.as_secs()))),
    }
}

/// Reads frames until `stop` (then closes politely) or until the server ends the connection.
async fn read(mut socket: Socket, outcome: &mut Outcome, run: &str, ledger: &Ledger, mut stop: watch::Receiver<bool>) {
    loop {
        if *stop.borrow() {
            break;
        }
        tokio::select! {
            changed = stop.changed() => {
                // The sender is gone: nothing will say stop any more, so stop now rather than spin.
                if changed.is_err() {
                    break;
                }
            }
            frame = socket.next() => match frame {
                Some(Ok(Message::Text(text))) => outcome.frame(text.as_str(), run, ledger, Instant::now()),
                // Pings are answered by tungstenite itself as it reads.
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                    outcome.closed_early = true;
                    return;
                }
                Some(Ok(_)) => {}
            },
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), socket.close(None)).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::events::FeedEvent;

    fn update(id: i64, title: &str) -> FeedEvent {
        FeedEvent {
            id,
            streamer_id: "1".into(),
            subscription_type: "channel.update".into(),
            version: "2".into(),
            occurred_at_ms: 0,
            event: Event::ChannelUpdate { title: title.into(), category_name: String::new(), language: String::new() },
        }
    }

    fn frame(message: ServerMessage) -> String {
        serde_json::to_string(&message).unwrap()
    }

    #[test]
    fn a_client_counts_its_events_repeats_and_strangers() {
        let ledger = Ledger::new(8, 2);
        for seq in 0..8 {
            ledger.sending(seq, std::time::Instant::now());
        }
        let mut outcome = Outcome::new(0, 0, Connection::Open);
        let now = Instant::now();
        let event = |seq| ServerMessage::Event { event: Box::new(update(seq as i64, &ledger::title("r1", seq))) };
        outcome.frame(&frame(event(0)), "r1", &ledger, now);
        outcome.frame(&frame(event(2)), "r1", &ledger, now);
        outcome.frame(&frame(event(1)), "r1", &ledger, now); // streamer 1's
        let catchup = ServerMessage::Catchup { events: vec![update(2, &ledger::title("r1", 2)), update(9, "other")] };
        outcome.frame(&frame(catchup), "r1", &ledger, now);
        outcome.frame("not json", "r1", &ledger, now);
        assert_eq!(outcome.received, HashMap::from([(0, 1), (2, 2)]));
        assert_eq!(outcome.foreign, 3);
        assert_eq!(outcome.frames, 5);
        assert_eq!(outcome.latency.len(), 2, "one latency per event, the first time it arrives");
        assert_eq!(ledger.first_deliveries(), 2);
    }

    #[test]
    fn feed_urls_use_the_websocket_scheme() {
        let target = url::Url::parse("http://127.0.0.1:3000/").unwrap();
        assert_eq!(feed_url(&target, "42"), "ws://127.0.0.1:3000/ws/streamer/42");
    }
}
