//! Picking a favorite streamer: checked in the server and with Helix, stored, and shown.

mod common;

use common::{TestApp, browser, location};
use leptos::server_fn::ServerFn;

use app::api::SetFavorite;
use app::models::FavoriteOutcome;

async fn set_favorite(app: &TestApp, client: &reqwest::Client, login: &str) -> FavoriteOutcome {
    let r = client
        .post(app.url(SetFavorite::PATH))
        .header("accept", "application/json")
        .form(&[("login", login)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{login}");
    r.json().await.unwrap()
}

async fn favorite_id(app: &TestApp) -> Option<String> {
    sqlx::query_scalar("SELECT favorite_streamer_id FROM users").fetch_one(&app.db().await).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_good_name_is_checked_with_twitch_saved_and_shown() {
    let app = TestApp::start().await;
    let client = browser();
    app.sign_in(&client, "fan_one").await;

    let outcome = set_favorite(&app, &client, "  Pixel_Panda ").await;
    assert_eq!(outcome, FavoriteOutcome::Saved { login: "pixel_panda".into() });
    assert_eq!(favorite_id(&app).await, Some(twitch_mock::user_id_for("pixel_panda")));

    let (login, name, avatar): (String, String, String) =
        sqlx::query_as("SELECT login, display_name, profile_image_url FROM streamers")
            .fetch_one(&app.db().await)
            .await
            .unwrap();
    assert_eq!(login, "pixel_panda");
    assert!(!name.is_empty());
    assert!(avatar.ends_with("/avatars/pixel_panda.svg"));

    let home = app.home(&client).await;
    assert!(home.contains("value=\"pixel_panda\""), "the saved favorite fills the input");

    let page = app.page(&client, "/streamer/pixel_panda").await;
    assert!(page.contains(&name));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamer_looked_up_recently_is_not_asked_of_twitch_again() {
    let app = TestApp::start().await;
    let first = browser();
    app.sign_in(&first, "early_fan").await;
    let second = browser();
    app.sign_in(&second, "late_fan").await;
    let before = app.mock.request_count("/helix/users");
    assert!(matches!(set_favorite(&app, &first, "pixel_panda").await, FavoriteOutcome::Saved { .. }));
    assert_eq!(app.mock.request_count("/helix/users"), before + 1, "the first pick asks Twitch");
    assert!(matches!(set_favorite(&app, &second, "Pixel_Panda").await, FavoriteOutcome::Saved { .. }));
    assert_eq!(app.mock.request_count("/helix/users"), before + 1, "the second is served from the stored profile");

    // A profile older than PROFILE_CACHE_SECS (an hour) is checked with Twitch again.
    sqlx::query("UPDATE streamers SET updated_at = updated_at - 7200").execute(&app.db().await).await.unwrap();
    assert!(matches!(set_favorite(&app, &second, "pixel_panda").await, FavoriteOutcome::Saved { .. }));
    assert_eq!(app.mock.request_count("/helix/users"), before + 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_name_is_refused_without_asking_twitch() {
    let app = TestApp::start().await;
    let client = browser();
    app.sign_in(&client, "fan_two").await;
    let helix_calls = app.mock.request_count("/helix/users");
    for bad in ["ab", "bad-name!", "<img src=x onerror=alert(1)>", &"x".repeat(26)] {
        match set_favorite(&app, &client, bad).await {
            FavoriteOutcome::Refused { message } => {
                assert!(message.contains("Twitch login"), "{bad}: {message}")
            }
            other => panic!("{bad} was accepted: {other:?}"),
        }
    }
    assert_eq!(app.mock.request_count("/helix/users"), helix_calls, "no Helix call for a malformed name");
    assert_eq!(favorite_id(&app).await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_name_is_refused_and_nothing_is_saved() {
    let app = TestApp::start().await;
    let client = browser();
    app.sign_in(&client, "fan_three").await;
    assert!(matches!(set_favorite(&app, &client, "pixel_panda").await, FavoriteOutcome::Saved { .. }));
    let before = favorite_id(&app).await;

    match set_favorite(&app, &client, "nobody_streams_here").await {
        FavoriteOutcome::Refused { message } => {
            assert!(message.contains("no streamer called"), "{message}")
        }
        other => panic!("an unknown streamer was accepted: {other:?}"),
    }
    assert_eq!(favorite_id(&app).await, before, "the earlier favorite is kept");
    let known: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM streamers WHERE login = 'nobody_streams_here'")
        .fetch_one(&app.db().await)
        .await
        .unwrap();
    assert_eq!(known, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_out_visitor_cannot_set_a_favorite() {
    let app = TestApp::start().await;
    match set_favorite(&app, &browser(), "pixel_panda").await {
        FavoriteOutcome::Refused { message } => assert!(message.contains("sign in"), "{message}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_twitch_outage_while_checking_gets_a_clear_message() {
    let app = TestApp::start().await;
    let client = browser();
    app.sign_in(&client, "fan_four").await;
    app.mock.set_down(true);
    match set_favorite(&app, &client, "pixel_panda").await {
        FavoriteOutcome::Refused { message } => {
            assert!(message.contains("could not be reached"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_javascript_the_form_post_redirects_to_the_streamer() {
    let app = TestApp::start().await;
    let client = browser();
    app.sign_in(&client, "fan_five").await;
    let r = client
        .post(app.url(SetFavorite::PATH))
        .header("accept", "text/html,application/xhtml+xml")
        .header("referer", app.url("/"))
        .form(&[("login", "speedrun_sam")])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    assert_eq!(location(&r), "/streamer/speedrun_sam");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_streamer_page_is_a_404_with_a_way_back() {
    let app = TestApp::start().await;
    let r = browser().get(app.url("/streamer/nobody_streams_here")).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("Back to the home page"));
    let r = browser().get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamer_without_a_login_goes_to_the_favorite_or_home() {
    let app = TestApp::start().await;
    let anonymous = browser().get(app.url("/streamer")).send().await.unwrap();
    assert_eq!(location(&anonymous), "/");
    let client = browser();
    app.sign_in(&client, "fan_six").await;
    assert_eq!(location(&client.get(app.url("/streamer")).send().await.unwrap()), "/");
    set_favorite(&app, &client, "retro_rex").await;
    assert_eq!(location(&client.get(app.url("/streamer")).send().await.unwrap()), "/streamer/retro_rex");
}
