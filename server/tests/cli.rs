//! The `sev` binary's command line: every setting documented, and a bad one stopping start-up with one line.

use std::process::Command;

fn sev() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sev"));
    // Run somewhere without a .env, and with none of the settings inherited from the test's environment.
    cmd.current_dir(std::env::temp_dir());
    for var in [
        "DATABASE_URL",
        "PUBLIC_URL",
        "LEPTOS_SITE_ADDR",
        "TWITCH_CLIENT_ID",
        "TWITCH_CLIENT_SECRET",
        "EVENTSUB_SECRET",
        "SESSION_KEY",
        "RUST_LOG",
        "LOG_FORMAT",
        "SEV_DEMO",
        "REDIS_URL",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

#[test]
fn help_lists_every_setting_with_its_variable() {
    let out = sev().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for var in [
        "DATABASE_URL",
        "PUBLIC_URL",
        "LEPTOS_SITE_ADDR",
        "TWITCH_CLIENT_ID",
        "TWITCH_CLIENT_SECRET",
        "TWITCH_OAUTH_URL",
        "TWITCH_HELIX_URL",
        "TWITCH_TIMEOUT_MS",
        "EVENTSUB_SECRET",
        "SESSION_KEY",
        "SESSION_TTL_DAYS",
        "TOKEN_VALIDATE_INTERVAL_SECS",
        "RUST_LOG",
        "LOG_FORMAT",
        "SEV_DEMO",
        "RATE_LIMIT_PAGES_PER_MIN",
        "HTTP_HEADER_TIMEOUT_SECS",
        "WEBHOOK_DEADLINE_MS",
    ] {
        assert!(help.contains(&format!("env: {var}")), "--help does not mention {var}:\n{help}");
    }
    assert!(help.contains("[default: https://id.twitch.tv/oauth2]"));
}

#[test]
fn a_bad_setting_stops_start_up_with_one_line_naming_the_variable() {
    let out = sev().env("LEPTOS_SITE_ADDR", "not-an-address").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("sev: invalid LEPTOS_SITE_ADDR:"), "{err}");

    let out = sev().env("TWITCH_CLIENT_ID", "abc").output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.starts_with("sev: invalid TWITCH_CLIENT_SECRET: is required"), "{err}");
}

#[test]
fn secrets_given_on_the_environment_are_not_echoed_by_help() {
    let out = sev().env("SESSION_KEY", "super-secret-session-key-value-0123456789").arg("--help").output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    assert!(!help.contains("super-secret-session-key-value"), "{help}");
}

#[test]
fn serving_needs_a_twitch_application_or_the_demo_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/sev.db", dir.path().display());
    let out = sev().env("DATABASE_URL", &db).env("LEPTOS_SITE_ADDR", "127.0.0.1:0").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("sev: invalid TWITCH_CLIENT_ID: is required") && err.contains("SEV_DEMO=1"), "{err}");
}

#[test]
fn the_demo_refuses_to_face_the_internet() {
    let cases = [
        ("PUBLIC_URL", "https://sev.example.com", "loopback"),
        ("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres", "SQLite"),
        ("REDIS_URL", "redis://127.0.0.1:6379/", "REDIS_URL"),
    ];
    for (variable, value, why) in cases {
        let out = sev().env("SEV_DEMO", "1").env(variable, value).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{variable}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("sev: invalid SEV_DEMO:") && err.contains(why), "{err}");
    }
}
