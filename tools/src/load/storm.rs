//! A reconnect storm: when an instance stops, every page it served comes back to the others at about the same
//! moment, each asking for a catch-up. `sev-tools load --storm` reproduces it after the run: as many sockets as the
//! run had clients open at once with `?after=0` (a resuming page), and each is timed from the start of the storm
//! until its catch-up arrives. The targets' `sev_catchups_total` says how many catch-ups read storage.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::future::join_all;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;

use app::feed::socket_path;

use super::clients::{connect, latency_histogram, ws_base};
use super::report::{Latency, latency_of};
use super::{Plan, scrape, spread};

/// Handshakes under way at once: enough that the server sees a burst, not so many that the loopback accept
/// queue (128 by default) overflows and the storm measures dropped SYNs.
const AT_ONCE: usize = 128;
/// A page still waiting for its catch-up after this counts as failed.
const LONGEST: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StormReport {
    pub sockets: usize,
    pub caught_up: usize,
    pub failed: usize,
    /// From the start of the storm until the last catch-up arrived.
    pub total_ms: u64,
    /// From the start of the storm until each socket's catch-up arrived.
    pub latency_ms: Option<Latency>,
    /// Catch-ups the targets answered from memory and from storage during the storm (`None`: a target did not
    /// report them).
    pub from_memory: Option<u64>,
    pub from_storage: Option<u64>,
}

/// Runs the storm against the plan's targets and streamers.
pub async fn run(plan: &Plan, http: &reqwest::Client) -> StormReport {
    let before = scrape::sample_all(http, &plan.targets).await;
    let at_once = Arc::new(Semaphore::new(AT_ONCE));
    let start = Instant::now();
    let waits = (0..plan.clients).map(|index| {
        let streamer = index % plan.streamers.len();
        let target = &plan.targets[spread(index, plan.streamers.len(), plan.targets.len())];
        let url = format!("{}{}", ws_base(target), socket_path(&plan.streamers[streamer].id, Some(0)));
        let origin = plan.origin_for(target);
        let at_once = at_once.clone();
        async move {
            let turn = at_once.acquire_owned().await.ok()?;
            let mut socket = connect(&url, &origin).await.ok()?;
            drop(turn);
            let caught_up = tokio::time::timeout(LONGEST, async {
                while let Some(Ok(frame)) = socket.next().await {
                    if let Message::Text(_) = frame {
                        return Some(start.elapsed());
                    }
                }
                None
            })
            .await
            .ok()
            .flatten();
            // Kept open until the storm is over, as the pages it stands for would be.
            Some((caught_up, socket))
        }
    });
    let ended = join_all(waits).await;
    let total = start.elapsed();
    let mut waited = Vec::with_capacity(ended.len());
    let mut sockets = Vec::with_capacity(ended.len());
    for (caught_up, socket) in ended.into_iter().flatten() {
        waited.push(caught_up);
        sockets.push(socket);
    }
    join_all(sockets.iter_mut().map(|s| tokio::time::timeout(Duration::from_secs(1), s.close(None)))).await;
    let after = scrape::sample_all(http, &plan.targets).await;

    let mut latency = latency_histogram();
    for wait in waited.iter().flatten() {
        let _ = latency.record((wait.as_micros() as u64).max(1));
    }
    let caught_up = waited.iter().flatten().count();
    let delta = |read: fn(&scrape::Sample) -> Option<u64>| -> Option<u64> {
        before.iter().zip(&after).map(|(b, a)| Some(read(a)?.saturating_sub(read(b)?))).sum()
    };
    StormReport {
        sockets: plan.clients,
        caught_up,
        failed: plan.clients - caught_up,
        total_ms: total.as_millis() as u64,
        latency_ms: latency_of(&latency),
        from_memory: delta(|s| s.catchups_from_memory),
        from_storage: delta(|s| s.catchups_from_storage),
    }
}
