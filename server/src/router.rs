//! Which handler answers which path, and the layers every response passes through.

use std::sync::Arc;

use axum::Router;
use http::header::{HeaderName, REFERRER_POLICY, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS};
use http::{HeaderValue, StatusCode};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};
use tower_http::trace::TraceLayer;

use app::backend::SharedBackend;
use app::{App, shell};

use crate::backend::ServerBackend;
use crate::state::AppState;
use crate::{assets, auth, cross_site, eventsub, feed, health, rate_limit, telemetry};

/// Every route, behind the layers every request passes. `extra` holds routes only some builds have (the demo's).
pub fn build(state: AppState, extra: Router<AppState>) -> Router {
    let backend: SharedBackend = Arc::new(ServerBackend::new(state.clone()));
    let context = move || provide_context(backend.clone());
    let options = state.leptos_options.clone();
    let router = Router::new()
        .merge(auth::routes())
        .merge(eventsub::routes())
        .merge(feed::routes())
        .merge(health::routes())
        .merge(assets::routes(&state))
        .merge(extra)
        .leptos_routes_with_context(&state, generate_route_list(App), context, move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell));
    // Over https, browsers are told to come back only over https (without subdomains: they may not be sev's).
    let hsts = state.settings.secure_cookies().then(|| HeaderValue::from_static("max-age=63072000"));
    let timeouts = tower::ServiceBuilder::new()
        // A request sev cannot answer in time (a render stuck upstream, say) gets a 503 instead of a hang.
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, state.settings.request_timeout))
        .layer(RequestBodyTimeoutLayer::new(state.settings.body_timeout));
    router
        .layer(axum::middleware::from_fn_with_state(state.clone(), cross_site::enforce))
        .layer(axum::middleware::from_fn_with_state(state.clone(), rate_limit::enforce))
        .layer(timeouts)
        .layer(SetResponseHeaderLayer::if_not_present(STRICT_TRANSPORT_SECURITY, hsts))
        // No page of sev's opens another window or needs a device; Twitch's player needs none of these either.
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static(
                "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
            ),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::if_not_present(
            REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(axum::middleware::from_fn_with_state(state.clone(), assets::cache_control))
        .layer(TraceLayer::new_for_http().make_span_with(telemetry::request_span))
        .with_state(state)
}
