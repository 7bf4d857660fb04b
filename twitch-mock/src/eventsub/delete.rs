//! `DELETE /helix/eventsub/subscriptions?id=…`: 204 once deleted, 404 for an id the caller's client does not
//! have (another client's subscription is as unknown as a made-up id).

use axum::extract::{Extension, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use super::create::app_token_required;
use crate::MockTwitch;
use crate::errors::error_status_message;
use crate::helix::HelixCaller;
use crate::params::Params;

pub(super) async fn delete_subscription(
    State(mock): State<MockTwitch>,
    Extension(caller): Extension<HelixCaller>,
    uri: Uri,
) -> Response {
    if caller.login.is_some() {
        return app_token_required();
    }
    let Ok(params) = Params::from_query(uri.query()) else {
        return error_status_message(StatusCode::BAD_REQUEST, "Malformed query parameters");
    };
    let Some(id) = params.get("id").filter(|id| !id.is_empty()) else {
        return error_status_message(StatusCode::BAD_REQUEST, "Missing required parameter \"id\"");
    };
    if mock.shared().lock().eventsub.remove(&caller.client_id, id) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        error_status_message(StatusCode::NOT_FOUND, "subscription not found")
    }
}
