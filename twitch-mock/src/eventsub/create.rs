//! `POST /helix/eventsub/subscriptions`: create a webhook subscription, answer 202, then send the challenge.
//!
//! The checks run in Twitch's order of concerns: who calls (an app token), whether the request is well formed
//! (400), whether the user in the condition authorized the client (403), whether a live twin exists (409), and
//! whether the account can afford it (429).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Extension, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};
use twitch::eventsub::catalog::{Access, ConditionShape, SubscriptionSpec};
use url::Url;

use super::conditions::{authorizing_field, required_fields, resolve_spec};
use super::store::{MAX_PER_TYPE_AND_CONDITION, PENDING, StoredSubscription};
use super::webhook::{Outgoing, start_verification};
use crate::MockTwitch;
use crate::errors::error_status_message;
use crate::helix::HelixCaller;
use crate::payloads::{WEBHOOK_CALLBACK_VERIFICATION, new_message_id, random_alphanumeric, verification_body};
use crate::state::Store;
use twitch_testkit::time::rfc3339_utc_nanos;

/// Twitch's rule for `transport.secret`.
const SECRET_LENGTH: std::ops::RangeInclusive<usize> = 10..=100;

pub(super) async fn create_subscription(
    State(mock): State<MockTwitch>,
    Extension(caller): Extension<HelixCaller>,
    body: Bytes,
) -> Response {
    if caller.login.is_some() {
        return app_token_required();
    }
    if mock.shared().lock().eventsub.rate_limited {
        return error_status_message(StatusCode::TOO_MANY_REQUESTS, "rate limit exceeded (fault injected by a test)");
    }
    let request = match CreateRequest::parse(&body) {
        Ok(request) => request,
        Err(message) => return error_status_message(StatusCode::BAD_REQUEST, &message),
    };
    if let Some(base) = &mock.shared().callbacks_under
        && !request.callback.starts_with(base.as_str())
    {
        let message = format!("transport.callback must be under {base}: this mock posts nowhere else");
        return error_status_message(StatusCode::BAD_REQUEST, &message);
    }
    let admitted = admit(&mut mock.shared().lock(), &caller.client_id, request);
    match admitted {
        Ok(Admitted { body, subscription_id, challenge, verification }) => {
            start_verification(&mock, subscription_id, challenge, verification);
            (StatusCode::ACCEPTED, Json(body)).into_response()
        }
        Err(Refusal(status, message)) => error_status_message(status, &message),
    }
}

/// Webhook subscriptions are managed with app tokens; Twitch refuses user tokens with a 401.
pub(super) fn app_token_required() -> Response {
    error_status_message(
        StatusCode::UNAUTHORIZED,
        "An app access token is required to manage webhook subscriptions; this is a user access token",
    )
}

/// A create request whose shape checked out; the condition is not yet matched against the catalog.
struct CreateRequest {
    kind: String,
    version: String,
    condition: Map<String, Value>,
    callback: String,
    secret: String,
}

impl CreateRequest {
    /// Reads the JSON body, or says in a 400 message what is missing or wrong.
    fn parse(body: &[u8]) -> Result<Self, String> {
        let Ok(Value::Object(mut fields)) = serde_json::from_slice::<Value>(body) else {
            return Err("The request body must be a JSON object".to_owned());
        };
        let text = |fields: &Map<String, Value>, name: &str| {
            fields.get(name).and_then(Value::as_str).filter(|value| !value.is_empty()).map(str::to_owned)
        };
        let kind = text(&fields, "type").ok_or("type is required")?;
        let version = text(&fields, "version").ok_or("version is required")?;
        let condition = match fields.remove("condition") {
            Some(Value::Object(condition)) => condition,
            None | Some(Value::Null) => return Err("condition is required".to_owned()),
            Some(_) => return Err("condition must be a JSON object".to_owned()),
        };
        let Some(Value::Object(transport)) = fields.get("transport") else {
            return Err("transport is required".to_owned());
        };
        if transport.get("method").and_then(Value::as_str) != Some("webhook") {
            return Err("transport.method must be \"webhook\" (the mock supports no other transport)".to_owned());
        }
        let callback = text(transport, "callback").ok_or("transport.callback is required")?;
        check_callback(&callback)?;
        let secret = transport.get("secret").and_then(Value::as_str).ok_or("transport.secret is required")?;
        if !secret.is_ascii() || !SECRET_LENGTH.contains(&secret.len()) {
            return Err("transport.secret must be 10 to 100 ASCII characters".to_owned());
        }
        Ok(Self { kind, version, condition, callback, secret: secret.to_owned() })
    }
}

/// Twitch requires `https` on port 443. The mock also accepts `http`, because tests and demo mode run on
/// loopback without certificates, but nothing that is not an absolute http(s) URL with a host.
fn check_callback(callback: &str) -> Result<(), String> {
    let url = Url::parse(callback).map_err(|_| "transport.callback must be an absolute https URL".to_owned())?;
    if !matches!(url.scheme(), "https" | "http") || url.host_str().is_none_or(str::is_empty) {
        return Err("transport.callback must be an absolute https URL".to_owned());
    }
    Ok(())
}

/// A subscription that was stored, the body of the 202 to send, and its challenge.
struct Admitted {
    body: Value,
    subscription_id: String,
    challenge: String,
    verification: Outgoing,
}

/// Checks the request against the catalog, the users, the client's authorizations and its limits, and stores
/// the subscription as pending.
/// Why a create is refused: the status and Helix's message.
struct Refusal(StatusCode, String);

fn refusal(status: StatusCode, message: &str) -> Refusal {
    Refusal(status, message.to_owned())
}

fn admit(store: &mut Store, client_id: &str, request: CreateRequest) -> Result<Admitted, Refusal> {
    let spec = resolve_spec(&request.kind, &request.version, &request.condition)
        .map_err(|message| Refusal(StatusCode::BAD_REQUEST, message))?;
    let condition = Value::Object(request.condition);
    let authorizer = check_condition_users(store, client_id, spec, &condition)?;

    if let Access::Broadcaster(scopes) = spec.access {
        let authorized =
            authorizer.as_deref().is_some_and(|login| store.authorizations.has_any_scope(client_id, login, scopes))
                && moderator_is_broadcaster(spec, &condition);
        if !authorized {
            return Err(refusal(StatusCode::FORBIDDEN, "subscription missing proper authorization"));
        }
    }

    let twins: Vec<&StoredSubscription> = store.eventsub.live_with_condition(client_id, spec, &condition).collect();
    if twins.iter().any(|twin| twin.callback == request.callback) {
        return Err(refusal(StatusCode::CONFLICT, "subscription already exists"));
    }
    if twins.len() >= MAX_PER_TYPE_AND_CONDITION {
        return Err(refusal(StatusCode::TOO_MANY_REQUESTS, "maximum subscriptions with type and condition exceeded"));
    }

    let cost = match spec.access {
        Access::Broadcaster(_) => 0,
        Access::App => 1,
        Access::Public => {
            let authorized =
                authorizer.as_deref().is_some_and(|login| store.authorizations.is_authorized(client_id, login));
            i64::from(!authorized)
        }
    };
    let (_, total_cost) = store.eventsub.totals(client_id);
    let max_total_cost = store.eventsub.max_total_cost;
    if total_cost + cost > max_total_cost {
        return Err(refusal(StatusCode::TOO_MANY_REQUESTS, "maximum total cost exceeded"));
    }

    let created_at = rfc3339_utc_nanos(store.clock.now());
    let stored = store.eventsub.insert(StoredSubscription {
        seq: 0,
        id: new_message_id(),
        client_id: client_id.to_owned(),
        spec,
        condition,
        callback: request.callback,
        secret: request.secret,
        status: PENDING.to_owned(),
        cost,
        created_at,
    });
    let subscription = stored.to_json();
    let challenge = random_alphanumeric(40);
    let verification = Outgoing {
        callback: stored.callback.clone(),
        secret: stored.secret.clone(),
        message_id: new_message_id(),
        message_type: WEBHOOK_CALLBACK_VERIFICATION,
        subscription_type: spec.kind,
        version: spec.version,
        body: verification_body(&subscription, &challenge),
        retry: 0,
    };
    let subscription_id = stored.id.clone();
    let (total, total_cost) = store.eventsub.totals(client_id);
    let body = json!({
        "data": [subscription],
        "total": total,
        "total_cost": total_cost,
        "max_total_cost": max_total_cost,
    });
    Ok(Admitted { body, subscription_id, challenge, verification })
}

/// Every user id in the condition must belong to a known user, and a `client_id` condition must name the
/// caller's own client. Returns the login of the user whose authorization counts, if the shape has one.
fn check_condition_users(
    store: &Store,
    client_id: &str,
    spec: &SubscriptionSpec,
    condition: &Value,
) -> Result<Option<String>, Refusal> {
    let mut authorizer = None;
    for field in required_fields(spec.condition) {
        let value = condition[*field].as_str().unwrap_or_default();
        if spec.condition == ConditionShape::ClientId {
            if value != client_id {
                return Err(refusal(
                    StatusCode::BAD_REQUEST,
                    "condition.client_id must be the client id of the app access token",
                ));
            }
            continue;
        }
        let Some(user) = store.users.profile_by_id(value, "") else {
            return Err(Refusal(StatusCode::BAD_REQUEST, format!("condition.{field}: no user has the id {value:?}")));
        };
        if authorizing_field(spec.condition) == Some(*field) {
            authorizer = Some(user.login);
        }
    }
    Ok(authorizer)
}

/// Twitch lets a moderator of the channel subscribe to moderator-shaped types. The mock keeps no moderator
/// lists, so only the broadcaster counts as a moderator of their own channel, which is the condition sev sends.
fn moderator_is_broadcaster(spec: &SubscriptionSpec, condition: &Value) -> bool {
    spec.condition != ConditionShape::BroadcasterAsModerator
        || condition["moderator_user_id"] == condition["broadcaster_user_id"]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(transport: Value) -> Vec<u8> {
        json!({
            "type": "stream.online",
            "version": "1",
            "condition": { "broadcaster_user_id": "1" },
            "transport": transport,
        })
        .to_string()
        .into_bytes()
    }

    fn parse_error(transport: Value) -> String {
        CreateRequest::parse(&body(transport)).err().unwrap_or_default()
    }

    #[test]
    fn callbacks_must_be_absolute_http_urls() {
        assert!(check_callback("https://example.com/webhooks").is_ok());
        assert!(check_callback("http://127.0.0.1:8080/eventsub").is_ok());
        assert!(check_callback("/eventsub").is_err());
        assert!(check_callback("ftp://example.com/eventsub").is_err());
        assert!(check_callback("mailto:someone@example.com").is_err());
    }

    #[test]
    fn secrets_must_be_10_to_100_ascii_characters() {
        let transport = |secret: &str| json!({"method": "webhook", "callback": "https://x.test/cb", "secret": secret});
        assert!(CreateRequest::parse(&body(transport("0123456789"))).is_ok());
        assert!(CreateRequest::parse(&body(transport(&"s".repeat(100)))).is_ok());
        assert!(parse_error(transport("012345678")).contains("10 to 100"));
        assert!(parse_error(transport(&"s".repeat(101))).contains("10 to 100"));
        assert!(parse_error(transport("sécret-sécret")).contains("ASCII"));
    }

    #[test]
    fn the_transport_must_be_a_webhook_with_a_callback() {
        assert!(parse_error(json!({"method": "websocket", "session_id": "x"})).contains("webhook"));
        assert_eq!(parse_error(json!({"method": "webhook", "secret": "0123456789"})), "transport.callback is required");
        assert_eq!(parse_error(Value::Null), "transport is required");
    }
}
