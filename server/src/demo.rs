//! The demo (`SEV_DEMO=1`, built with the `demo` feature): a mock Twitch served in-process under `/mock-twitch`,
//! where anyone signs in as anyone, and one click that fills a streamer's feed with realistic events, sent by
//! that mock through the real webhook path (signed, verified, stored, published). A build without the feature
//! links no mock at all, and its settings refuse `SEV_DEMO`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::Router;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use http::StatusCode;
use http::header::LOCATION;

use app::login::normalize_login;
use twitch::Endpoints;
use twitch_mock::{MockClient, MockConfig, MockTwitch};

use crate::config::Settings;
use crate::state::AppState;

/// The demo application registered with the in-process mock Twitch. Not secrets: the demo is local by design.
pub const CLIENT_ID: &str = "sev-demo-client";
pub const CLIENT_SECRET: &str = "sev-demo-secret";

/// How many events one click sends.
const FILL_COUNT: usize = 12;

/// The in-process mock Twitch and the endpoints sev reaches it at.
pub struct Demo {
    mock: MockTwitch,
    pub endpoints: Endpoints,
}

impl Demo {
    /// A mock Twitch for a sev listening on `addr`: the browser reaches it through `PUBLIC_URL`, sev itself at
    /// that address (a wildcard one becomes loopback).
    pub fn new(settings: &Settings, addr: SocketAddr) -> Self {
        let public_base = settings.public("/mock-twitch");
        let mock = MockTwitch::new(MockConfig {
            clients: vec![MockClient {
                client_id: CLIENT_ID.into(),
                client_secret: CLIENT_SECRET.into(),
                redirect_uris: vec![settings.public("/auth/callback")],
            }],
            public_base: public_base.clone(),
            callbacks_under: Some(settings.public("/")),
        });
        let internal = match addr.ip() {
            ip if ip.is_unspecified() => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port()),
            _ => addr,
        };
        let internal = format!("http://{internal}/mock-twitch");
        let endpoints = Endpoints {
            authorize_url: format!("{public_base}/oauth2/authorize"),
            oauth_base: format!("{internal}/oauth2"),
            helix_base: format!("{internal}/helix"),
        };
        tracing::info!(mock = %public_base, "demo mode (SEV_DEMO=1): a mock Twitch is served in-process, where anyone signs in as anyone");
        Self { mock, endpoints }
    }

    /// The mock's own pages and API under `/mock-twitch`, and the fill button's route.
    pub fn routes(&self) -> Router<AppState> {
        let mock = self.mock.clone();
        Router::new()
            .route("/demo/fill/{login}", post(move |Path(login): Path<String>| fill(mock.clone(), login)))
            .nest_service("/mock-twitch", self.mock.router())
    }
}

async fn fill(mock: MockTwitch, login: String) -> Response {
    let Ok(login) = normalize_login(&login) else {
        return (StatusCode::BAD_REQUEST, "not a Twitch login").into_response();
    };
    let delivered = mock.fill_feed(&login, FILL_COUNT).await;
    tracing::info!(streamer = %login, delivered, "demo events sent");
    (StatusCode::SEE_OTHER, [(LOCATION, format!("/streamer/{login}"))]).into_response()
}
