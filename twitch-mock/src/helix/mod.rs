//! Helix, Twitch's REST API (`https://api.twitch.tv/helix/...`).
//!
//! Every Helix endpoint shares one gate, [`admit_caller`]: a valid `Bearer` token, a `Client-Id`
//! header naming the token's client, and a point from the caller's rate-limit bucket. The gate
//! hands the endpoint a [`HelixCaller`] and stamps the `Ratelimit-*` headers on the response, so
//! a new endpoint is one route and one handler. The EventSub subscriptions API lives in its own
//! area (`crate::eventsub`) and only mounts its routes behind this gate.

mod users;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::Response;
use axum::routing::get;

use crate::MockTwitch;
use crate::errors::error_status_message;
use crate::rate_limit::{BucketKey, RateLimitStatus};
use crate::state::Store;
use crate::tokens::presented_token;

pub(crate) fn routes(mock: MockTwitch) -> Router<MockTwitch> {
    Router::new()
        .route("/helix/users", get(users::get_users))
        .merge(crate::eventsub::helix_routes())
        .route_layer(from_fn_with_state(mock, admit_caller))
}

/// Who is calling a Helix endpoint, as established from their token.
#[derive(Debug, Clone)]
pub(crate) struct HelixCaller {
    /// The client the token was issued to (and the `Client-Id` header names).
    pub(crate) client_id: String,
    /// The user's lower-cased login for a user token; `None` for an app token.
    pub(crate) login: Option<String>,
    pub(crate) scopes: Vec<String>,
}

impl HelixCaller {
    pub(crate) fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|granted| granted == scope)
    }
}

/// Authenticates the caller and charges their rate-limit bucket, then runs the endpoint with a
/// [`HelixCaller`] in the request extensions.
async fn admit_caller(State(mock): State<MockTwitch>, mut request: Request, next: Next) -> Response {
    let admission = check_caller(&mut mock.shared().lock(), request.headers());
    let (mut response, rate_limit) = match admission {
        Admission::Admitted(caller, rate_limit) => {
            request.extensions_mut().insert(caller);
            (next.run(request).await, rate_limit)
        }
        Admission::Refused(response, rate_limit) => (response, rate_limit),
    };
    rate_limit.write_headers(response.headers_mut());
    response
}

enum Admission {
    Admitted(HelixCaller, RateLimitStatus),
    Refused(Response, RateLimitStatus),
}

fn check_caller(store: &mut Store, headers: &HeaderMap) -> Admission {
    let now = store.clock.now();
    let Some(owner) = presented_token(headers, &["Bearer"]).and_then(|token| store.tokens.validate(token, now)) else {
        return Admission::Refused(
            error_status_message(StatusCode::UNAUTHORIZED, "Invalid OAuth token"),
            RateLimitStatus::untouched(now),
        );
    };
    let client_id_header = headers.get("client-id").and_then(|value| value.to_str().ok());
    if client_id_header != Some(owner.client_id.as_str()) {
        return Admission::Refused(
            error_status_message(StatusCode::UNAUTHORIZED, "Client ID and OAuth token do not match"),
            RateLimitStatus::untouched(now),
        );
    }

    let bucket = BucketKey { client_id: owner.client_id.clone(), user_login: owner.login.clone() };
    let rate_limit = store.rate_limits.take_point(bucket, now);
    if !rate_limit.allowed {
        return Admission::Refused(
            error_status_message(
                StatusCode::TOO_MANY_REQUESTS,
                "Rate limit exceeded; wait until Ratelimit-Reset before retrying",
            ),
            rate_limit,
        );
    }
    Admission::Admitted(
        HelixCaller { client_id: owner.client_id, login: owner.login, scopes: owner.scopes },
        rate_limit,
    )
}
