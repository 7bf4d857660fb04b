//! One module per page.

mod embeds;
mod favorite_form;
mod feed;
#[cfg(feature = "hydrate")]
mod feed_socket;
mod home;
mod not_found;
mod signin_failed;
mod streamer;
mod time_text;

pub use home::HomePage;
pub use not_found::NotFound;
pub use signin_failed::SignInFailed;
pub use streamer::StreamerPage;

/// Sets the HTTP status of the server-rendered response; does nothing in the browser.
pub(crate) fn set_status(status: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(options), Ok(code)) =
        (leptos::prelude::use_context::<leptos_axum::ResponseOptions>(), http::StatusCode::from_u16(status))
    {
        options.set_status(code);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = status;
}
