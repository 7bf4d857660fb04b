//! Signing in and out with Twitch: the real server against the mock Twitch over HTTP.

mod common;

use std::time::Duration;

use common::{TestApp, bare_client, browser, location};
use sev::auth::{revalidate, tokens::keyed_hash};
use sev::storage::now;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_full_oauth_round_trip_signs_the_viewer_in() {
    let app = TestApp::start().await;
    let client = browser();
    assert!(app.home(&client).await.contains("Sign in with Twitch"));

    let authorize = app.begin_sign_in(&client).await;
    assert!(authorize.as_str().starts_with(&format!("http://{}/oauth2/authorize", app.mock_addr)));
    let query: std::collections::HashMap<_, _> = authorize.query_pairs().into_owned().collect();
    assert_eq!(query["client_id"], common::CLIENT_ID);
    assert_eq!(query["response_type"], "code");
    assert_eq!(query["redirect_uri"], app.url("/auth/callback"));
    assert!(query["state"].len() >= 32, "the state should be long and random");

    let callback = app.answer_authorize(&authorize, "Viewer_One", "authorize").await;
    let done = client.get(&callback).send().await.unwrap();
    assert_eq!(done.status(), 303);
    assert_eq!(location(&done), "/");
    let cookies: Vec<_> =
        done.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_string()).collect();
    let session = cookies.iter().find(|c| c.starts_with("sev_session=")).expect("a session cookie");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Lax"), "{session}");
    assert!(!session.contains("Secure"), "plain-http PUBLIC_URL: no Secure flag: {session}");

    let home = app.home(&client).await;
    assert!(home.contains("Viewer_One"), "the home page greets the viewer");
    assert!(home.contains("Favorite streamer"));

    let db = app.db().await;
    let (id, login, avatar): (String, String, String) =
        sqlx::query_as("SELECT twitch_id, login, profile_image_url FROM users").fetch_one(&db).await.unwrap();
    assert_eq!(id, twitch_mock::user_id_for("viewer_one"));
    assert_eq!(login, "viewer_one");
    assert!(avatar.ends_with("/avatars/viewer_one.svg"), "{avatar}");
    let (token, refresh): (String, Option<String>) =
        sqlx::query_as("SELECT access_token, refresh_token FROM sessions").fetch_one(&db).await.unwrap();
    assert_eq!((token.as_str(), refresh), ("", None), "the session keeps no Twitch token");
    app.eventually("the sign-in's token is revoked at Twitch", || async {
        app.mock.usable_user_tokens("viewer_one") == 0
    })
    .await;
    assert!(app.home(&client).await.contains("Viewer_One"), "still signed in without the token");
}

/// A session as sev kept them before it stopped keeping tokens: with a real Twitch token and refresh token,
/// obtained through the mock's code flow. Returns a client carrying its cookie, and the access token.
async fn session_with_token(app: &TestApp, login: &str) -> (reqwest::Client, String) {
    let authorize = app.begin_sign_in(&browser()).await;
    let callback = url::Url::parse(&app.answer_authorize(&authorize, login, "authorize").await).unwrap();
    let code = callback.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let redirect = app.url("/auth/callback");
    let form = [("code", code.as_str()), ("grant_type", "authorization_code"), ("redirect_uri", redirect.as_str())];
    let tokens = app.mock_token(&form).await;
    let user_id = twitch_mock::user_id_for(login);
    let db = &app.state().db;
    let user = sev::storage::UserRecord {
        twitch_id: user_id.clone(),
        login: login.to_string(),
        display_name: login.to_string(),
        profile_image_url: String::new(),
    };
    db.upsert_user(&user, now()).await.unwrap();
    let cookie = format!("legacy-cookie-{login}");
    let access = tokens["access_token"].as_str().unwrap().to_string();
    db.insert_session(&sev::storage::SessionRecord {
        id_hash: keyed_hash(common::SESSION_KEY, &cookie),
        user_id,
        access_token: access.clone(),
        refresh_token: tokens["refresh_token"].as_str().map(str::to_string),
        scopes: String::new(),
        created_at: now(),
        expires_at: now() + 86_400,
        validated_at: now(),
    })
    .await
    .unwrap();
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("cookie", format!("sev_session={cookie}").parse().unwrap());
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    (client, access)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_state_is_refused() {
    let app = TestApp::start().await;
    let client = browser();
    let authorize = app.begin_sign_in(&client).await;
    let state = authorize.query_pairs().find(|(k, _)| k == "state").unwrap().1.to_string();
    let callback = app.answer_authorize(&authorize, "viewer_two", "authorize").await;
    let first = bare_client().get(&callback).header("cookie", format!("sev_oauth_state={state}")).send().await.unwrap();
    assert_eq!(location(&first), "/");
    let again = bare_client().get(&callback).header("cookie", format!("sev_oauth_state={state}")).send().await.unwrap();
    assert_eq!(again.status(), 303);
    assert_eq!(location(&again), "/signin/failed?reason=state_unknown");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_or_missing_state_is_refused_and_signs_nobody_in() {
    let app = TestApp::start().await;
    let client = browser();
    let authorize = app.begin_sign_in(&client).await;
    let state = authorize.query_pairs().find(|(k, _)| k == "state").unwrap().1.to_string();
    let callback = url::Url::parse(&app.answer_authorize(&authorize, "viewer_three", "authorize").await).unwrap();
    let code = callback.query_pairs().find(|(k, _)| k == "code").unwrap().1.to_string();

    // The state in the URL is not the one this browser was given.
    let forged = bare_client()
        .get(app.url(&format!("/auth/callback?code={code}&state=someone-elses-state")))
        .header("cookie", format!("sev_oauth_state={state}"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&forged), "/signin/failed?reason=state_mismatch");

    // A browser that never started a sign-in.
    let foreign =
        bare_client().get(app.url(&format!("/auth/callback?code={code}&state={state}"))).send().await.unwrap();
    assert_eq!(location(&foreign), "/signin/failed?reason=state_mismatch");

    let missing = bare_client()
        .get(app.url(&format!("/auth/callback?code={code}")))
        .header("cookie", format!("sev_oauth_state={state}"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&missing), "/signin/failed?reason=state_missing");

    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(&app.db().await).await.unwrap();
    assert_eq!(users, 0);
    // The forged attempts did not burn the real state: the genuine callback still works.
    let genuine = client.get(callback.as_str()).send().await.unwrap();
    assert_eq!(location(&genuine), "/");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_state_is_refused() {
    let app = TestApp::start().await;
    let state = "a-state-about-to-expire";
    let hash = keyed_hash(app.state().keys.session.expose(), state);
    // It expires a second from now (so the start-up purge of expired states leaves it), then we wait.
    app.state().db.insert_oauth_state(&hash, "sign_in", now() - 599, now() + 1).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = bare_client()
        .get(app.url(&format!("/auth/callback?code=whatever&state={state}")))
        .header("cookie", format!("sev_oauth_state={state}"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/signin/failed?reason=state_expired");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn denied_consent_gets_the_friendly_page() {
    let app = TestApp::start().await;
    let client = browser();
    let authorize = app.begin_sign_in(&client).await;
    let callback = app.answer_authorize(&authorize, "viewer_four", "deny").await;
    assert!(callback.contains("error=access_denied"), "{callback}");
    let r = client.get(&callback).send().await.unwrap();
    assert_eq!(location(&r), "/signin/failed?reason=denied");

    let page = client.get(app.url("/signin/failed?reason=denied")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("You did not sign in"), "{html}");
    assert!(html.contains("Back to the home page") && html.contains("href=\"/\""));
    assert!(!app.home(&client).await.contains("Sign out"), "still signed out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_twitch_gets_the_friendly_page_within_the_timeout() {
    let app = TestApp::start_with(common::Options { twitch_timeout_ms: 300, ..Default::default() }).await;
    let client = browser();
    let authorize = app.begin_sign_in(&client).await;
    let callback = app.answer_authorize(&authorize, "viewer_five", "authorize").await;
    app.mock.set_delay(Some(Duration::from_secs(3)));
    let started = std::time::Instant::now();
    let r = client.get(&callback).send().await.unwrap();
    assert_eq!(location(&r), "/signin/failed?reason=twitch_timeout");
    assert!(started.elapsed() < Duration::from_secs(3), "sev gave up before Twitch answered");
    app.mock.set_delay(None);
    let html = client.get(app.url("/signin/failed?reason=twitch_timeout")).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Twitch is slow right now"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_twitch_outage_gets_the_friendly_page() {
    let app = TestApp::start().await;
    let client = browser();
    let authorize = app.begin_sign_in(&client).await;
    let callback = app.answer_authorize(&authorize, "viewer_six", "authorize").await;
    app.mock.set_down(true);
    let r = client.get(&callback).send().await.unwrap();
    assert_eq!(location(&r), "/signin/failed?reason=twitch_unavailable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_code_gets_the_friendly_page() {
    let app = TestApp::start().await;
    let client = browser();
    let authorize = app.begin_sign_in(&client).await;
    let state = authorize.query_pairs().find(|(k, _)| k == "state").unwrap().1.to_string();
    let r = client.get(app.url(&format!("/auth/callback?code=not-a-real-code&state={state}"))).send().await.unwrap();
    assert_eq!(location(&r), "/signin/failed?reason=invalid_code");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_failure_page_offers_a_way_back_and_never_a_server_error() {
    let app = TestApp::start().await;
    for reason in [
        "denied",
        "state_missing",
        "state_mismatch",
        "state_unknown",
        "state_expired",
        "invalid_code",
        "twitch_timeout",
        "twitch_unavailable",
        "unexpected",
        "<script>alert(1)</script>",
    ] {
        let r = bare_client().get(app.url(&format!("/signin/failed?reason={reason}"))).send().await.unwrap();
        assert_eq!(r.status(), 200, "{reason}");
        let html = r.text().await.unwrap();
        assert!(html.contains("Back to the home page"), "{reason}");
        assert!(!html.contains("<script>alert(1)"), "{reason}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_out_ends_the_session_and_the_next_sign_in_asks_twitch_again() {
    let app = TestApp::start().await;
    let client = browser();
    app.sign_in(&client, "viewer_seven").await;
    let login = client.get(app.url("/auth/login")).send().await.unwrap();
    assert!(!location(&login).contains("force_verify"), "{}", location(&login));

    assert_eq!(client.get(app.url("/auth/logout")).send().await.unwrap().status(), 405, "sign-out is POST only");
    let r = client.post(app.url("/auth/logout")).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/");
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(&app.db().await).await.unwrap();
    assert_eq!(sessions, 0);
    let home = app.home(&client).await;
    assert!(home.contains("Sign in with Twitch") && !home.contains("viewer_seven"));

    // On a shared computer the next person must choose their account at Twitch, not pass straight through.
    let next = client.get(app.url("/auth/login")).send().await.unwrap();
    assert!(location(&next).contains("force_verify=true"), "{}", location(&next));
    let after = client.get(app.url("/auth/login")).send().await.unwrap();
    assert!(!location(&after).contains("force_verify"), "asked once: {}", location(&after));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_a_session_that_kept_a_token_revokes_it() {
    let app = TestApp::start().await;
    let (client, token) = session_with_token(&app, "viewer_old").await;
    assert!(app.home(&client).await.contains("viewer_old"));
    assert_eq!(client.post(app.url("/auth/logout")).send().await.unwrap().status(), 303);
    assert!(app.mock.was_revoked(&token), "the token was revoked at Twitch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_again_ends_the_previous_session() {
    let app = TestApp::start().await;
    let client = browser();
    app.sign_in(&client, "viewer_twice").await;
    app.sign_in(&client, "viewer_twice").await;
    assert_eq!(app.count("SELECT COUNT(*) FROM sessions").await, 1, "the first session is gone");
    assert!(app.home(&client).await.contains("viewer_twice"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdrawing_access_at_twitch_signs_the_viewer_out_everywhere() {
    let app = TestApp::start().await;
    app.app_subscribed().await;
    let (laptop, phone, other) = (browser(), browser(), browser());
    app.sign_in(&laptop, "viewer_leaving").await;
    app.sign_in(&phone, "viewer_leaving").await;
    app.sign_in(&other, "viewer_staying").await;
    app.mock.revoke_user_authorization("viewer_leaving").await;
    app.eventually("both sessions end", || async { app.count("SELECT COUNT(*) FROM sessions").await == 1 }).await;
    assert!(app.home(&laptop).await.contains("Sign in with Twitch"));
    assert!(app.home(&phone).await.contains("Sign in with Twitch"));
    assert!(app.home(&other).await.contains("viewer_staying"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_survives_a_server_restart() {
    let mut app = TestApp::start().await;
    let client = browser();
    app.sign_in(&client, "viewer_eight").await;
    assert!(app.home(&client).await.contains("viewer_eight"));
    app.restart().await;
    assert!(app.home(&client).await.contains("viewer_eight"), "still signed in after the restart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_without_tokens_are_never_sent_to_twitch() {
    let app = TestApp::start().await;
    app.sign_in(&browser(), "viewer_tokenless").await;
    let before = app.mock.request_count("/oauth2/validate");
    let pass = revalidate::validate_due(app.state(), Duration::ZERO).await.unwrap();
    assert_eq!(pass, revalidate::Pass::default(), "nothing was due");
    assert_eq!(app.mock.request_count("/oauth2/validate"), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_token_twitch_no_longer_accepts_ends_its_session_at_revalidation() {
    let app = TestApp::start().await;
    let (kept, _) = session_with_token(&app, "viewer_nine").await;
    let (lost, _) = session_with_token(&app, "viewer_ten").await;

    let pass = revalidate::validate_due(app.state(), Duration::ZERO).await.unwrap();
    assert_eq!((pass.valid, pass.ended), (2, 0));

    app.mock.revoke_user_tokens("viewer_ten");
    let pass = revalidate::validate_due(app.state(), Duration::ZERO).await.unwrap();
    assert_eq!((pass.valid, pass.ended), (1, 1));
    assert!(app.home(&kept).await.contains("viewer_nine"));
    assert!(app.home(&lost).await.contains("Sign in with Twitch"), "the revoked viewer is signed out");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_twitch_fails_to_answer_keeps_the_viewer_signed_in() {
    let app = TestApp::start().await;
    let (client, _) = session_with_token(&app, "viewer_patient").await;
    // The access token expires (validate says 401); the refresh token is still good, but the token endpoint is
    // down for now.
    app.mock.advance_clock(Duration::from_secs(5 * 3600));
    app.mock.set_path_down("/oauth2/token", true);
    let pass = revalidate::validate_due(app.state(), Duration::ZERO).await.unwrap();
    assert_eq!((pass.deferred, pass.ended), (1, 0), "{pass:?}");
    assert!(app.home(&client).await.contains("viewer_patient"), "still signed in");

    // Twitch answers again, and the deferred check falls due (here at once rather than after its retry delay).
    app.mock.set_path_down("/oauth2/token", false);
    sqlx::query("UPDATE sessions SET validated_at = 0").execute(&app.db().await).await.unwrap();
    let pass = revalidate::validate_due(app.state(), Duration::ZERO).await.unwrap();
    assert_eq!(pass.refreshed, 1, "{pass:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_sharing_the_database_check_each_session_once() {
    let app = TestApp::start().await;
    for i in 0..6 {
        session_with_token(&app, &format!("split_viewer_{i}")).await;
    }
    let (peer, _) = app.start_peer().await;
    tokio::time::sleep(Duration::from_millis(500)).await; // the peer's start-up pass
    sqlx::query("UPDATE sessions SET validated_at = validated_at - 7200").execute(&app.db().await).await.unwrap();
    let before = app.mock.request_count("/oauth2/validate");
    let hour = Duration::from_secs(3600);
    let (a, b) = tokio::join!(revalidate::validate_due(app.state(), hour), revalidate::validate_due(&peer.state, hour));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.valid + b.valid, 6, "{a:?} {b:?}");
    assert_eq!(app.mock.request_count("/oauth2/validate") - before, 6, "no token was checked twice");
    let again = revalidate::validate_due(&peer.state, hour).await.unwrap();
    assert_eq!(again, revalidate::Pass::default(), "all were checked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recently_validated_sessions_are_not_validated_again() {
    let app = TestApp::start().await;
    session_with_token(&app, "viewer_eleven").await;
    let before = app.mock.request_count("/oauth2/validate");
    let pass = revalidate::validate_due(app.state(), Duration::from_secs(3600)).await.unwrap();
    assert_eq!(pass, revalidate::Pass::default());
    assert_eq!(app.mock.request_count("/oauth2/validate"), before);
}
