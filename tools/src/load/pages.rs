//! The page reader: streamer pages rendered at a fixed rate while the webhooks flow, as viewers opening them
//! would, round-robin over the targets and streamers. A page is what a viewer waits for before the feed opens:
//! the server renders it with the 10 newest events read from the database, so this measures the read path under
//! the write load.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hdrhistogram::Histogram;

use super::clients::latency_histogram;
use super::{Plan, pacing, spread};

/// What became of the page requests.
#[derive(Debug, Clone)]
pub struct Pages {
    pub requested: u64,
    /// Answered 200 with a page naming its streamer.
    pub ok: u64,
    /// Answers other than 200, by status.
    pub failed: BTreeMap<u16, u64>,
    /// 200 answers without the streamer's name: a broken render.
    pub wrong: u64,
    pub transport_errors: u64,
    /// From sending the request to the last byte of the page, in microseconds.
    pub latency: Histogram<u64>,
    pub elapsed: Duration,
}

impl Default for Pages {
    fn default() -> Self {
        Pages {
            requested: 0,
            ok: 0,
            failed: BTreeMap::new(),
            wrong: 0,
            transport_errors: 0,
            latency: latency_histogram(),
            elapsed: Duration::ZERO,
        }
    }
}

/// Requests `plan.page_rate` pages a second for the plan's duration (nothing when it is 0), then waits for the
/// last answers.
pub async fn read(plan: &Plan, http: &reqwest::Client) -> Pages {
    let outcome = Arc::new(Mutex::new(Pages::default()));
    let total = u64::from(plan.page_rate) * plan.duration.as_secs();
    let paced = pacing::at_rate(total, plan.page_rate, plan.max_in_flight, |n, due| {
        let streamer = &plan.streamers[n as usize % plan.streamers.len()];
        let target = &plan.targets[spread(n as usize, plan.streamers.len(), plan.targets.len())];
        let url = format!("{}/streamer/{}", target.as_str().trim_end_matches('/'), streamer.login);
        let (http, outcome, login) = (http.clone(), outcome.clone(), streamer.login.clone());
        async move {
            let answer = match http.get(&url).send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    response.text().await.map(|body| (status, body))
                }
                Err(e) => Err(e),
            };
            // From the due time, so requests queued behind busy ones count their wait.
            let took = due.elapsed().as_micros() as u64;
            let mut outcome = outcome.lock().expect("pages lock poisoned");
            outcome.requested += 1;
            match answer {
                Ok((200, body)) if body.contains(&login) => {
                    outcome.ok += 1;
                    let _ = outcome.latency.record(took.max(1));
                }
                Ok((200, _)) => outcome.wrong += 1,
                Ok((status, _)) => *outcome.failed.entry(status).or_default() += 1,
                Err(_) => outcome.transport_errors += 1,
            }
        }
    })
    .await;
    let mut pages = outcome.lock().expect("pages lock poisoned").clone();
    pages.elapsed = paced.elapsed;
    pages
}
