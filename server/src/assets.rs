//! The built site's files (`/pkg`: WASM, JS, CSS) and how long browsers and CDNs may keep each response.
//!
//! A release build names its `/pkg` files after their content (`sev.<hash>.wasm`), so a new build is a new URL:
//! those files can be kept for a year and never revalidated, which makes a repeat visit cost no download at all.
//! HTML must never be kept: it carries the viewer's session state and names the current hashed files.

use std::path::Path;

use axum::Router;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use http::HeaderValue;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, VARY};
use tower_http::services::ServeDir;

use crate::state::AppState;

/// A year: the longest lifetime caches honour, for files whose name changes with their content.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Unhashed files (a debug build's `/pkg`, the favicon): kept, but checked with the server before each use.
const REVALIDATE: &str = "no-cache";
/// Pages: personal (signed-in state) and pointing at the current build's files.
const PAGE: &str = "private, no-cache";

/// Serves `/<pkg dir>` from the site folder, preferring the `.br` or `.gz` twin a release build made
/// (`--precompress`) when the browser accepts it, so nothing is compressed per request.
pub fn routes(state: &AppState) -> Router<AppState> {
    let settings = &state.settings;
    let dir = Path::new(&settings.site_root).join(&settings.site_pkg_dir);
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    Router::new().nest_service(&format!("/{}", settings.site_pkg_dir.trim_matches('/')), files)
}

/// Sets `Cache-Control` on every response that has none: a year for hashed `/pkg` files, revalidation for other
/// files, and never storing for HTML pages.
pub async fn cache_control(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let pkg_dir = state.settings.site_pkg_dir.trim_matches('/');
    let in_pkg = request
        .uri()
        .path()
        .strip_prefix('/')
        .and_then(|p| p.strip_prefix(pkg_dir))
        .is_some_and(|p| p.starts_with('/'));
    let mut response = next.run(request).await;
    if response.headers().contains_key(CACHE_CONTROL) {
        return response;
    }
    let html =
        response.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    let policy = if html {
        PAGE
    } else if in_pkg && response.status().is_success() {
        // The same URL answers brotli, gzip or plain bytes, by the request's Accept-Encoding.
        response.headers_mut().insert(VARY, HeaderValue::from_static("accept-encoding"));
        if state.settings.hashed_assets { IMMUTABLE } else { REVALIDATE }
    } else if response.status().is_success() && is_static_file(&response) {
        REVALIDATE
    } else {
        return response;
    };
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static(policy));
    response
}

/// A file from the site folder: tower-http's file service marks each with `Last-Modified`, which handlers don't.
fn is_static_file(response: &Response) -> bool {
    response.headers().contains_key(http::header::LAST_MODIFIED)
}
