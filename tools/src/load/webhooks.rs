//! The webhook sender: signed `channel.update` notifications at a fixed rate, round-robin over the targets.
//!
//! Pacing (`pacing::at_rate`) keeps the rate achieved at the rate asked for unless the targets cannot keep up,
//! and the report shows how far behind schedule the sender fell.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use twitch_testkit::payloads;

use super::ledger::{self, Ledger};
use super::{LoadError, Plan, Streamer, event_spec, pacing, spread};
use crate::trigger::SignedMessage;
use sev::config::CALLBACK_PATH;

/// What became of the webhooks.
#[derive(Debug, Clone, Default)]
pub struct Sent {
    pub sent: u64,
    pub accepted: u64,
    /// Answers other than 2xx, by status.
    pub refused: BTreeMap<u16, u64>,
    /// Requests that got no answer (connection refused or reset, timeout).
    pub transport_errors: u64,
    pub first_transport_error: Option<String>,
    /// From the first request to the last answer.
    pub elapsed: Duration,
    /// The furthest a request went out after its due time.
    pub max_lag: Duration,
}

/// One client for all webhooks: keep-alive connections, as many idle ones kept as may be in flight.
pub fn http_client(max_in_flight: usize) -> Result<reqwest::Client, LoadError> {
    Ok(reqwest::Client::builder()
        .pool_max_idle_per_host(max_in_flight)
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()?)
}

/// What every message of one streamer shares: its subscription object and an event to put the title in.
struct Template {
    subscription: Value,
    event: Value,
}

impl Template {
    fn new(streamer: &Streamer, callback: &str) -> Self {
        let spec = event_spec();
        let mut profile = twitch_testkit::people::profile_for(&streamer.login, "http://localhost");
        profile.id = streamer.id.clone();
        let condition = spec.condition(&streamer.id);
        Template {
            subscription: payloads::subscription_object(
                &streamer.subscription_id,
                spec.kind,
                spec.version,
                &condition,
                callback,
                "enabled",
                0,
            ),
            event: payloads::event(spec.kind, spec.version, &profile, 0),
        }
    }

    fn message(&self, secret: &str, title: String) -> SignedMessage {
        let mut event = self.event.clone();
        event["title"] = Value::String(title);
        SignedMessage::notification(secret, event_spec(), &self.subscription, &event)
    }
}

/// Sends every webhook of the plan, then waits for the last answers.
pub async fn send(plan: &Plan, http: &reqwest::Client, run: &str, ledger: Arc<Ledger>) -> Sent {
    let callbacks: Vec<String> =
        plan.webhook_targets().iter().map(|t| format!("{}{CALLBACK_PATH}", t.as_str().trim_end_matches('/'))).collect();
    let templates: Arc<Vec<Template>> =
        Arc::new(plan.streamers.iter().map(|s| Template::new(s, &callbacks[0])).collect());
    let outcome = Arc::new(Mutex::new(Sent::default()));
    let paced = pacing::at_rate(plan.total_events(), plan.rate, plan.max_in_flight, |seq, due| {
        let streamer = ledger.streamer_of(seq);
        let url = callbacks[spread(seq as usize, plan.streamers.len(), callbacks.len())].clone();
        let (http, ledger, templates, outcome) = (http.clone(), ledger.clone(), templates.clone(), outcome.clone());
        let (secret, title) = (plan.secret.clone(), ledger::title(run, seq));
        async move {
            let message = templates[streamer].message(&secret, title);
            let mut request = http.post(&url).body(message.body);
            for (name, value) in message.headers {
                request = request.header(name, value);
            }
            ledger.sending(seq, due);
            let answer = request.send().await;
            let mut outcome = outcome.lock().expect("outcome lock poisoned");
            outcome.sent += 1;
            match answer {
                Ok(response) if response.status().is_success() => {
                    ledger.accept(seq);
                    outcome.accepted += 1;
                }
                Ok(response) => *outcome.refused.entry(response.status().as_u16()).or_default() += 1,
                Err(e) => {
                    outcome.transport_errors += 1;
                    outcome.first_transport_error.get_or_insert_with(|| format!("{url}: {e}"));
                }
            }
        }
    })
    .await;
    let mut sent = outcome.lock().expect("outcome lock poisoned").clone();
    sent.elapsed = paced.elapsed;
    sent.max_lag = paced.max_lag;
    sent
}
