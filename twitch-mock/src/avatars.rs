//! Generated profile pictures: `GET /avatars/{login}.svg`.
//!
//! Helix profiles need a `profile_image_url` a browser can load, and demo mode runs offline, so
//! the mock draws one: a circle in a colour derived from the login, with the login's initial.

use axum::Router;
use axum::extract::Path;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::MockTwitch;
use crate::html::escape;
use twitch_testkit::people::{is_valid_login, login_hash};

pub(crate) fn routes() -> Router<MockTwitch> {
    Router::new().route("/avatars/{file}", get(avatar))
}

/// Serves the avatar of any well-formed login: image URLs are opaque to clients, and drawing one
/// for a login that does not exist (yet) does no harm.
async fn avatar(Path(file): Path<String>) -> Response {
    let Some(login) = file.strip_suffix(".svg").filter(|login| is_valid_login(login)) else {
        return (StatusCode::NOT_FOUND, "no such avatar").into_response();
    };
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        avatar_svg(login),
    )
        .into_response()
}

/// The SVG for a login; the same login always gets the same picture, whatever its case.
fn avatar_svg(login: &str) -> String {
    let hue = login_hash(login) % 360;
    let initial: String = login.chars().next().map(|first| first.to_uppercase().collect()).unwrap_or_default();
    let label = escape(&login.to_ascii_lowercase());
    let initial = escape(&initial);
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="300" height="300" viewBox="0 0 300 300" role="img" aria-label="{label}">
<circle cx="150" cy="150" r="150" fill="hsl({hue}, 62%, 46%)"/>
<text x="150" y="150" dy="0.35em" text-anchor="middle" font-family="Helvetica, Arial, sans-serif" font-size="150" font-weight="700" fill="#ffffff">{initial}</text>
</svg>
"##
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn avatar_shows_the_upper_case_initial_in_a_stable_colour() {
        let svg = avatar_svg("pixel_panda");
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains(">P</text>"));
        assert_eq!(svg, avatar_svg("Pixel_Panda"));
        assert_ne!(svg, avatar_svg("pixel_pandas"));
    }
}
