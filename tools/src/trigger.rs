//! `sev-tools trigger` and `sev-tools verify-subscription`: send correctly signed EventSub messages to a callback, the way
//! the Twitch CLI's `event trigger`, `event retrigger` and `event verify-subscription` do, so a running sev (or
//! anything else) can be exercised without Twitch.

use std::time::Duration;

use clap::Args;
use serde_json::Value;

use twitch::eventsub::catalog::{self, SubscriptionSpec, condition_key};
use twitch_testkit::payloads;

use sev::config::Settings;
use sev::storage::Db;

/// The Twitch CLI's short names, for muscle memory.
const ALIASES: &[(&str, &str)] = &[
    ("streamup", "stream.online"),
    ("streamdown", "stream.offline"),
    ("follow", "channel.follow"),
    ("subscribe", "channel.subscribe"),
    ("subscribe-message", "channel.subscription.message"),
    ("channel-gift", "channel.subscription.gift"),
    ("cheer", "channel.cheer"),
    ("raid", "channel.raid"),
    ("add-redemption", "channel.channel_points_custom_reward_redemption.add"),
    ("hype-train-begin", "channel.hype_train.begin"),
    ("hype-train-progress", "channel.hype_train.progress"),
    ("hype-train-end", "channel.hype_train.end"),
    ("poll-begin", "channel.poll.begin"),
    ("poll-progress", "channel.poll.progress"),
    ("poll-end", "channel.poll.end"),
    ("prediction-begin", "channel.prediction.begin"),
    ("prediction-progress", "channel.prediction.progress"),
    ("prediction-lock", "channel.prediction.lock"),
    ("prediction-end", "channel.prediction.end"),
    ("shoutout-create", "channel.shoutout.create"),
    ("shoutout-received", "channel.shoutout.receive"),
    ("revoke", "user.authorization.revoke"),
];

#[derive(Debug, Clone, Args)]
pub struct TriggerArgs {
    /// The event type (e.g. channel.follow) or a Twitch CLI alias (e.g. follow, raid, streamup).
    pub event: String,
    /// Where to send it; by default sev's own callback under PUBLIC_URL.
    #[arg(short = 'F', long)]
    pub forward_address: Option<String>,
    /// The secret to sign with; by default sev's EVENTSUB_SECRET (in demo mode, the one stored in its database).
    #[arg(short = 's', long)]
    pub secret: Option<String>,
    /// The broadcaster, by login or numeric id.
    #[arg(short = 'b', long, default_value = "sevdemo")]
    pub broadcaster: String,
    /// How many messages to send.
    #[arg(short = 'c', long, default_value = "1")]
    pub count: u32,
    /// The subscription version; defaults to the one sev uses.
    #[arg(short = 'v', long = "event-version")]
    pub version: Option<String>,
    /// For channel.raid: whether the broadcaster is raided (`to`) or raids (`from`).
    #[arg(long, default_value = "to")]
    pub raid_direction: String,
    /// Send a revocation with this subscription status instead of a notification (e.g. authorization_revoked).
    #[arg(short = 'r', long)]
    pub status: Option<String>,
    /// Use this message id: with the same --seq this re-sends the same message, like `event retrigger`.
    #[arg(short = 'I', long)]
    pub message_id: Option<String>,
    /// Varies names and amounts deterministically; the same seq gives the same event body.
    #[arg(long)]
    pub seq: Option<u64>,
    /// Use this Message-Timestamp (RFC 3339), e.g. an old one to test replay protection.
    #[arg(long)]
    pub timestamp: Option<String>,
    /// The subscription id; by default looked up in sev's database (DATABASE_URL), else random.
    #[arg(short = 'u', long)]
    pub subscription_id: Option<String>,
    /// The name of the user who acts (follower, subscriber, raider, …), e.g. to test how odd names display.
    #[arg(long)]
    pub user_name: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// The event type or alias.
    pub event: String,
    #[arg(short = 'F', long)]
    pub forward_address: String,
    #[arg(short = 's', long)]
    pub secret: String,
    #[arg(short = 'b', long, default_value = "sevdemo")]
    pub broadcaster: String,
    #[arg(short = 'v', long = "event-version")]
    pub version: Option<String>,
    #[arg(long, default_value = "to")]
    pub raid_direction: String,
    #[arg(short = 'u', long)]
    pub subscription_id: Option<String>,
}

/// Finds the spec for a type or alias, a version and a raid direction.
fn spec_for(event: &str, version: Option<&str>, raid_direction: &str) -> Result<&'static SubscriptionSpec, String> {
    let kind = ALIASES.iter().find(|(alias, _)| *alias == event).map(|(_, k)| *k).unwrap_or(event);
    let shape =
        if raid_direction == "from" { catalog::ConditionShape::RaidFrom } else { catalog::ConditionShape::RaidTo };
    catalog::STREAMER_SUBSCRIPTIONS
        .iter()
        .chain([&catalog::AUTHORIZATION_REVOKE])
        .filter(|s| s.kind == kind && version.is_none_or(|v| v == s.version))
        .find(|s| s.kind != "channel.raid" || s.condition == shape)
        .ok_or_else(|| {
            let known: Vec<&str> = catalog::STREAMER_SUBSCRIPTIONS.iter().map(|s| s.kind).collect();
            format!(
                "unknown event type {event:?}{}; known: {}",
                version.map(|v| format!(" version {v}")).unwrap_or_default(),
                known.join(", ")
            )
        })
}

fn broadcaster_profile(broadcaster: &str) -> twitch_testkit::people::UserProfile {
    if !broadcaster.is_empty() && broadcaster.chars().all(|c| c.is_ascii_digit()) {
        let mut p = twitch_testkit::people::profile_for("testbroadcaster", "http://localhost");
        p.id = broadcaster.to_string();
        p
    } else {
        twitch_testkit::people::profile_for(&broadcaster.to_ascii_lowercase(), "http://localhost")
    }
}

/// The id of the subscription sev keeps for this type and condition, if sev's database can be read.
async fn known_subscription(settings: &Settings, spec: &SubscriptionSpec, condition: &Value) -> Option<String> {
    let db = Db::open(&settings.database_url, 1).await.ok()?;
    let cond = condition_key(condition);
    let key = sev::storage::SubKey { kind: spec.kind, version: spec.version, condition_key: &cond };
    db.subscription_by_key(key).await.ok()??.twitch_id
}

fn http_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
) -> Result<(u16, String, String), String> {
    let mut request = client.post(url).body(body);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let response = request.send().await.map_err(|e| format!("cannot reach {url}: {e}"))?;
    let status = response.status().as_u16();
    let content_type =
        response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    Ok((status, content_type, response.text().await.unwrap_or_default()))
}

/// A message ready to post: Twitch's headers, with the signature over exactly these body bytes.
#[derive(Debug, Clone)]
pub struct SignedMessage {
    pub message_id: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl SignedMessage {
    /// Signs `body` the way Twitch does, for a message of `message_type` on a `spec` subscription.
    pub fn new(
        secret: &str,
        message_id: String,
        timestamp: &str,
        message_type: &str,
        spec: &SubscriptionSpec,
        body: Vec<u8>,
    ) -> Self {
        let headers =
            payloads::signed_headers(secret, &message_id, timestamp, message_type, spec.kind, spec.version, &body);
        SignedMessage { message_id, headers, body }
    }

    /// A fresh notification (new message id, current timestamp) carrying `event` for `subscription`.
    pub fn notification(secret: &str, spec: &SubscriptionSpec, subscription: &Value, event: &Value) -> Self {
        let body = payloads::notification_body(subscription, event);
        Self::new(secret, payloads::new_message_id(), &payloads::now_timestamp(), payloads::NOTIFICATION, spec, body)
    }
}

/// Puts `name` in every field naming the acting user (never the broadcaster's own fields).
fn with_user_name(mut event: Value, name: &str, raid_into: bool) -> Value {
    if let Some(fields) = event.as_object_mut() {
        for (key, value) in fields.iter_mut() {
            // Raids into the channel are acted by the `from` side; raids out of it name the channel there.
            let acting = key == "user_name"
                || (key.ends_with("_user_name") && !key.contains("broadcaster"))
                || (key == "from_broadcaster_user_name" && raid_into);
            if acting && value.is_string() {
                *value = Value::String(name.to_string());
            }
        }
    }
    event
}

/// The secret sev signs with: the setting, or the one demo mode generated and stored. `sev-tools load` uses it too.
pub async fn sev_secret(settings: &Settings) -> Result<String, String> {
    if let Some(secret) = &settings.eventsub_secret {
        return Ok(secret.expose().to_string());
    }
    let db = Db::open(&settings.database_url, 1).await.map_err(|e| format!("cannot read DATABASE_URL: {e}"))?;
    db.stored_secret("eventsub_secret")
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| "no --secret given and sev has not generated an EVENTSUB_SECRET yet; start sev once".to_string())
}

/// Sends the messages; true when every one was answered 2xx.
pub async fn trigger(settings: &Settings, args: &TriggerArgs) -> Result<bool, String> {
    let forward_address = args.forward_address.clone().unwrap_or_else(|| settings.callback());
    let secret = match &args.secret {
        Some(s) => s.clone(),
        None => sev_secret(settings).await?,
    };
    let spec = spec_for(&args.event, args.version.as_deref(), &args.raid_direction)?;
    let broadcaster = broadcaster_profile(&args.broadcaster);
    let user = if spec.condition == catalog::ConditionShape::ClientId { "sev-client" } else { broadcaster.id.as_str() };
    let condition = spec.condition(user);
    let subscription_id = match &args.subscription_id {
        Some(id) => id.clone(),
        None => match known_subscription(settings, spec, &condition).await {
            Some(id) => id,
            None => {
                eprintln!(
                    "note: sev's database has no {} subscription for this broadcaster; sending a random subscription id, which sev acknowledges but does not show",
                    spec.kind
                );
                payloads::new_message_id()
            }
        },
    };
    let status = args.status.as_deref().unwrap_or("enabled");
    let subscription = payloads::subscription_object(
        &subscription_id,
        spec.kind,
        spec.version,
        &condition,
        &forward_address,
        status,
        0,
    );
    let client = http_client()?;
    let mut all_ok = true;
    for i in 0..args.count.max(1) {
        let seq = args.seq.unwrap_or_else(|| rand::random::<u32>() as u64) + i as u64;
        let (message_type, body) = if args.status.is_some() {
            ("revocation", payloads::revocation_body(&subscription))
        } else {
            let event = if spec.kind == "channel.raid" && spec.condition == catalog::ConditionShape::RaidFrom {
                payloads::raid_from(&broadcaster, seq)
            } else {
                payloads::event(spec.kind, spec.version, &broadcaster, seq)
            };
            let event = match &args.user_name {
                Some(name) => with_user_name(event, name, spec.condition == catalog::ConditionShape::RaidTo),
                None => event,
            };
            ("notification", payloads::notification_body(&subscription, &event))
        };
        let message_id = args.message_id.clone().unwrap_or_else(payloads::new_message_id);
        let timestamp = args.timestamp.clone().unwrap_or_else(payloads::now_timestamp);
        let SignedMessage { message_id, headers, body } =
            SignedMessage::new(&secret, message_id, &timestamp, message_type, spec, body);
        let (status, _, text) = post(&client, &forward_address, headers, body).await?;
        let ok = (200..300).contains(&status);
        all_ok &= ok;
        let mark = if ok { "✔" } else { "✗" };
        println!(
            "{mark} {message_type} {} v{} → {status} (message id {message_id}){}",
            spec.kind,
            spec.version,
            if text.is_empty() { String::new() } else { format!(": {}", text.trim()) }
        );
    }
    Ok(all_ok)
}

/// Sends a verification challenge and checks the answer the way Twitch does.
pub async fn verify_subscription(args: &VerifyArgs) -> Result<bool, String> {
    let spec = spec_for(&args.event, args.version.as_deref(), &args.raid_direction)?;
    let broadcaster = broadcaster_profile(&args.broadcaster);
    let condition = spec.condition(&broadcaster.id);
    let id = args.subscription_id.clone().unwrap_or_else(payloads::new_message_id);
    let subscription = payloads::subscription_object(
        &id,
        spec.kind,
        spec.version,
        &condition,
        &args.forward_address,
        "webhook_callback_verification_pending",
        0,
    );
    let challenge = payloads::new_message_id();
    let body = payloads::verification_body(&subscription, &challenge);
    let SignedMessage { headers, body, .. } = SignedMessage::new(
        &args.secret,
        payloads::new_message_id(),
        &payloads::now_timestamp(),
        payloads::WEBHOOK_CALLBACK_VERIFICATION,
        spec,
        body,
    );
    let (status, content_type, text) = post(&http_client()?, &args.forward_address, headers, body).await?;
    let checks = [
        ("the answer is the challenge", text == challenge),
        ("the content type is text/plain", content_type.split(';').next().is_some_and(|t| t.trim() == "text/plain")),
        ("the status is 2XX", (200..300).contains(&status)),
    ];
    for (what, ok) in checks {
        println!("{} {what}", if ok { "✔" } else { "✗" });
    }
    if status >= 300 {
        println!("  the callback answered {status}: {}", text.trim());
    }
    Ok(checks.iter().all(|(_, ok)| *ok))
}
