//! `GET /helix/eventsub/subscriptions`: the caller's subscriptions, oldest first, a page at a time.
//!
//! At most one filter (`status`, `type`, `user_id` or `subscription_id`) may be given, as on Twitch. The page size
//! is "undetermined" there, so clients must follow `pagination.cursor`; the mock makes it small in tests to
//! prove they do. The cursor is opaque to clients; here it encodes the creation order of the last item shown, so
//! deleting subscriptions between pages neither skips nor repeats any.

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use twitch::eventsub::catalog::{AUTHORIZATION_REVOKE, STREAMER_SUBSCRIPTIONS};

use super::create::app_token_required;
use super::store::{StoredSubscription, is_status};
use crate::MockTwitch;
use crate::errors::error_status_message;
use crate::helix::HelixCaller;
use crate::params::Params;

pub(super) async fn list_subscriptions(
    State(mock): State<MockTwitch>,
    Extension(caller): Extension<HelixCaller>,
    uri: Uri,
) -> Response {
    if caller.login.is_some() {
        return app_token_required();
    }
    let Ok(params) = Params::from_query(uri.query()) else {
        return bad_request("Malformed query parameters");
    };
    let filter = match Filter::from_params(&params) {
        Ok(filter) => filter,
        Err(message) => return bad_request(&message),
    };
    let after = match params.get("after").map(decode_cursor) {
        None => None,
        Some(Some(seq)) => Some(seq),
        Some(None) => return bad_request("Invalid cursor"),
    };

    let store = mock.shared().lock();
    let matching: Vec<&StoredSubscription> = store
        .eventsub
        .of_client(&caller.client_id)
        .filter(|subscription| after.is_none_or(|after| subscription.seq > after))
        .filter(|subscription| filter.matches(subscription))
        .collect();
    let page_size = store.eventsub.page_size;
    let page = &matching[..matching.len().min(page_size)];
    let mut pagination = json!({});
    if let Some(last) = page.last().filter(|_| matching.len() > page_size) {
        pagination["cursor"] = json!(encode_cursor(last.seq));
    }
    let (total, total_cost) = store.eventsub.totals(&caller.client_id);
    Json(json!({
        "total": total,
        "data": page.iter().map(|subscription| subscription.to_json()).collect::<Vec<Value>>(),
        "total_cost": total_cost,
        "max_total_cost": store.eventsub.max_total_cost,
        "pagination": pagination,
    }))
    .into_response()
}

/// The one filter a list request may carry.
enum Filter {
    None,
    Status(String),
    Type(String),
    UserId(String),
    SubscriptionId(String),
}

impl Filter {
    fn from_params(params: &Params) -> Result<Self, String> {
        let given: Vec<(&str, &str)> = ["status", "type", "user_id", "subscription_id"]
            .into_iter()
            .filter_map(|name| params.get(name).map(|value| (name, value)))
            .collect();
        let filter = match given.as_slice() {
            [] => Filter::None,
            [("status", status)] if is_status(status) => Filter::Status((*status).to_owned()),
            [("status", status)] => return Err(format!("Invalid status {status:?}")),
            [("type", kind)] if is_known_type(kind) => Filter::Type((*kind).to_owned()),
            [("type", kind)] => return Err(format!("Invalid type {kind:?}")),
            [("user_id", user_id)] => Filter::UserId((*user_id).to_owned()),
            [(_, subscription_id)] => Filter::SubscriptionId((*subscription_id).to_owned()),
            _ => return Err("Only one of status, type, user_id or subscription_id may be given".to_owned()),
        };
        Ok(filter)
    }

    fn matches(&self, subscription: &StoredSubscription) -> bool {
        match self {
            Filter::None => true,
            Filter::Status(status) => subscription.status == *status,
            Filter::Type(kind) => subscription.spec.kind == kind,
            Filter::UserId(user_id) => subscription.names_user(user_id),
            Filter::SubscriptionId(id) => subscription.id == *id,
        }
    }
}

fn is_known_type(kind: &str) -> bool {
    STREAMER_SUBSCRIPTIONS.iter().chain(std::iter::once(&AUTHORIZATION_REVOKE)).any(|spec| spec.kind == kind)
}

const CURSOR_PREFIX: &str = "after:";

fn encode_cursor(seq: u64) -> String {
    hex::encode(format!("{CURSOR_PREFIX}{seq}"))
}

fn decode_cursor(cursor: &str) -> Option<u64> {
    let decoded = String::from_utf8(hex::decode(cursor).ok()?).ok()?;
    decoded.strip_prefix(CURSOR_PREFIX)?.parse().ok()
}

fn bad_request(message: &str) -> Response {
    error_status_message(StatusCode::BAD_REQUEST, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_garbage_is_refused() {
        assert_eq!(decode_cursor(&encode_cursor(42)), Some(42));
        assert_eq!(decode_cursor("not-hex"), None);
        assert_eq!(decode_cursor(&hex::encode("before:1")), None);
        assert_eq!(decode_cursor(&hex::encode("after:x")), None);
    }
}
