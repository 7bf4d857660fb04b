//! The built site's files as browsers and CDNs get them: content-hashed /pkg files cached for a year and sent
//! precompressed, other files revalidated, pages never stored.

mod common;

use std::path::PathBuf;

use common::{Options, TestApp, bare_client};

/// A site folder like a release build's: a hashed WASM file with its brotli and gzip twins, and a favicon.
fn site() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sev-site-{}-{}", std::process::id(), rand_suffix()));
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::write(dir.join("pkg/sev.Q1w2E3.wasm"), b"\0asm raw").unwrap();
    std::fs::write(dir.join("pkg/sev.Q1w2E3.wasm.br"), b"brotli bytes").unwrap();
    std::fs::write(dir.join("pkg/sev.Q1w2E3.wasm.gz"), b"gzip bytes").unwrap();
    std::fs::write(dir.join("favicon.svg"), b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>").unwrap();
    dir
}

fn rand_suffix() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
}

async fn app_on(site: &std::path::Path, hashed: bool) -> TestApp {
    // Leptos reads the build's hash.txt next to the running binary (here this test binary) the first time any
    // page renders with hashed names, and remembers it for the process: without the file, whichever of this
    // binary's tests rendered first decided whether the other's page render panicked.
    let beside = std::env::current_exe().unwrap().with_file_name("hash.txt");
    if !beside.exists() {
        std::fs::write(&beside, "js: Q1w2E3\nwasm: Q1w2E3\ncss: Q1w2E3\n").unwrap();
    }
    let extra_args = vec![format!("--site-root={}", site.display())];
    let adjust: fn(&mut sev::config::Settings) =
        if hashed { |s| s.hashed_assets = true } else { |s| s.hashed_assets = false };
    TestApp::start_with(Options { extra_args, adjust: Some(adjust), ..Options::default() }).await
}

fn cache_control(r: &reqwest::Response) -> String {
    r.headers().get("cache-control").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hashed_pkg_files_are_immutable_and_sent_precompressed() {
    let site = site();
    let app = app_on(&site, true).await;
    let client = bare_client();

    let br = client.get(app.url("/pkg/sev.Q1w2E3.wasm")).header("accept-encoding", "br, gzip").send().await.unwrap();
    assert_eq!(br.status(), 200);
    assert_eq!(cache_control(&br), "public, max-age=31536000, immutable");
    assert_eq!(br.headers()["content-encoding"], "br");
    assert_eq!(br.headers()["content-type"], "application/wasm");
    assert_eq!(br.headers()["vary"], "accept-encoding", "caches keep one copy per encoding");
    assert_eq!(br.bytes().await.unwrap().as_ref(), b"brotli bytes");

    let gz = client.get(app.url("/pkg/sev.Q1w2E3.wasm")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    assert_eq!(gz.bytes().await.unwrap().as_ref(), b"gzip bytes");

    let raw = client.get(app.url("/pkg/sev.Q1w2E3.wasm")).header("accept-encoding", "identity").send().await.unwrap();
    assert!(raw.headers().get("content-encoding").is_none());
    assert_eq!(raw.bytes().await.unwrap().as_ref(), b"\0asm raw");

    // An old build's name is gone for good: a plain 404 that no cache keeps for a year.
    let stale = client.get(app.url("/pkg/sev.OLD.wasm")).send().await.unwrap();
    assert_eq!(stale.status(), 404);
    assert_ne!(cache_control(&stale), "public, max-age=31536000, immutable");

    let favicon = client.get(app.url("/favicon.svg")).send().await.unwrap();
    assert_eq!(favicon.status(), 200);
    assert_eq!(cache_control(&favicon), "no-cache");

    let page = client.get(app.url("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    assert_eq!(cache_control(&page), "private, no-cache");
    std::fs::remove_dir_all(site).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unhashed_pkg_files_are_revalidated() {
    let site = site();
    let app = app_on(&site, false).await;
    let r = bare_client().get(app.url("/pkg/sev.Q1w2E3.wasm")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(cache_control(&r), "no-cache");
    let missing = bare_client().get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(cache_control(&missing), "private, no-cache");
    std::fs::remove_dir_all(site).unwrap();
}
