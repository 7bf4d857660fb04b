//! What sev writes to its logs, read back at the most verbose level through a whole visit: sign-in, a favorite
//! (which creates subscriptions with the EventSub secret), a webhook, sign-out. No credential may appear: not the
//! app's or the webhook's secret, not the session key, not an OAuth code or state, not a Twitch token, not a
//! session cookie. In a test binary of its own, because it installs the process's one log subscriber.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{CLIENT_SECRET, EVENTSUB_SECRET, SESSION_KEY, TestApp, browser};
use twitch_mock::{payloads, user_id_for};

/// Every log line, kept in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_credential_reaches_the_logs_through_a_whole_visit() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        // The test's own browser (reqwest's cookie store) shares the process: its lines are not sev's.
        .with_env_filter("trace,hyper=info,h2=info,tower=info,reqwest=info,cookie_store=off")
        .with_writer(move || writer.clone())
        .init();

    let app = TestApp::start().await;
    let client = browser();
    let authorize = app.begin_sign_in(&client).await;
    let state = authorize.query_pairs().find(|(k, _)| k == "state").unwrap().1.to_string();
    let callback = app.answer_authorize(&authorize, "careful_viewer", "authorize").await;
    let code = url::Url::parse(&callback).unwrap().query_pairs().find(|(k, _)| k == "code").unwrap().1.to_string();
    let signed_in = client.get(callback).send().await.unwrap();
    let cookies: Vec<String> = signed_in
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok()?.split(';').next()?.split_once('=').map(|(_, v)| v.to_string()))
        .filter(|v| v.len() > 8)
        .collect();
    // sev keeps no token, but it held the sign-in's tokens for a moment (and revoked them): those are looked for.
    let tokens = app.mock.issued_user_tokens("careful_viewer");
    assert!(tokens.len() >= 2, "an access and a refresh token to look for: {tokens:?}");

    // A favorite creates subscriptions, each sent to Twitch with the EventSub secret.
    let fan = app.viewer_picking("another_fan", "pixel_panda").await;
    let panda = user_id_for("pixel_panda");
    let update = app.mock_subscriptions_of(&panda).into_iter().find(|s| s.kind == "channel.update").unwrap();
    let profile = twitch_mock::profile_for("pixel_panda", "http://x");
    app.mock.deliver(&update.id, payloads::event("channel.update", "2", &profile, 1)).await.unwrap();
    for browser in [&client, &fan] {
        let out = browser.post(app.url("/auth/logout")).send().await.unwrap();
        assert!(out.status().is_redirection() || out.status().is_success(), "{}", out.status());
    }

    let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).to_string();
    assert!(text.contains("event stored"), "the logs were captured at the verbose level");
    let secrets = [CLIENT_SECRET, EVENTSUB_SECRET, SESSION_KEY, state.as_str(), code.as_str()];
    for secret in
        secrets.iter().copied().chain(tokens.iter().map(String::as_str)).chain(cookies.iter().map(String::as_str))
    {
        let line = text.lines().find(|l| l.contains(secret));
        assert!(line.is_none(), "a credential is in the logs: {}", line.unwrap_or_default());
    }
}
