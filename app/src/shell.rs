//! The HTML document and the router: which page answers which path.

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};

use crate::pages::{HomePage, NotFound, SignInFailed, StreamerPage};

/// The whole document, rendered on the server around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="dark light" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                // A release build names the stylesheet after its content (`sev.<hash>.css`), so it can be cached for
                // good; the link is written here, on the server, where the build's hash file can be read.
                <HashedStylesheet options=options.clone() id="leptos" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The Content-Security-Policy of every page: scripts only from sev itself (the inline hydration script carries
/// this response's nonce), frames only from Twitch's player and chat, and sev's pages never framed elsewhere.
#[cfg(feature = "ssr")]
fn security_headers() {
    use http::header::{CONTENT_SECURITY_POLICY, HeaderValue};
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else { return };
    let nonce = leptos::nonce::use_nonce().map(|n| n.to_string()).unwrap_or_default();
    // `cargo leptos watch` reloads the page through its own socket.
    let reload = if std::env::var_os("LEPTOS_WATCH").is_some() { " ws://localhost:* ws://127.0.0.1:*" } else { "" };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: https://static-cdn.jtvnw.net; connect-src 'self'{reload}; \
         frame-src https://player.twitch.tv https://www.twitch.tv https://embed.twitch.tv https://clips.twitch.tv; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(CONTENT_SECURITY_POLICY, value);
    }
}

/// The application. Pages render with `SsrMode::Async`, so the server sends them complete: they read right before
/// any WASM has loaded, and without JavaScript at all.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    #[cfg(feature = "ssr")]
    security_headers();
    // Tells tests (and curious people) that the WASM has taken over the page.
    Effect::new(|_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Title text="sev · Streamer Event Viewer" />
        <Router>
            <a class="skip-link" href="#main">
                "Skip to content"
            </a>
            <header class="site-header">
                <a class="brand" href="/">
                    <span class="brand-mark" aria-hidden="true">
                        "◉"
                    </span>
                    " sev"
                </a>
                <span class="tagline">"Streamer Event Viewer"</span>
            </header>
            <main id="main">
                <Routes fallback=|| view! { <NotFound /> }>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/streamer/:login") view=StreamerPage ssr=SsrMode::Async />
                    <Route path=path!("/signin/failed") view=SignInFailed />
                </Routes>
            </main>
            <footer class="site-footer">
                <p>"sev is not affiliated with Twitch."</p>
            </footer>
        </Router>
    }
}
