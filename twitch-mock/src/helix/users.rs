//! `GET /helix/users?login=…&id=…`: look users up by login and id (both repeatable, 100 at
//! most in total), or, with no parameters and a user token, the token's own user.
//!
//! Unknown logins and ids are left out of `data` rather than reported, as on Twitch, so a client
//! must treat "not in the list" as "does not exist".

use std::collections::HashSet;

use axum::Json;
use axum::extract::{Extension, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::HelixCaller;
use crate::MockTwitch;
use crate::errors::error_status_message;
use crate::params::Params;
use twitch_testkit::people::UserProfile;

const MAX_LOOKUPS: usize = 100;

/// The scope that lets a user token see its own user's email address.
const EMAIL_SCOPE: &str = "user:read:email";

/// One thing to look up, in request order.
enum Lookup<'a> {
    Id(&'a str),
    Login(&'a str),
}

pub(super) async fn get_users(
    State(mock): State<MockTwitch>,
    Extension(caller): Extension<HelixCaller>,
    uri: Uri,
) -> Response {
    let Ok(params) = Params::from_query(uri.query()) else {
        return error_status_message(StatusCode::BAD_REQUEST, "Malformed query parameters");
    };
    let mut lookups: Vec<Lookup<'_>> = params.all("id").map(Lookup::Id).collect();
    lookups.extend(params.all("login").map(Lookup::Login));

    if lookups.len() > MAX_LOOKUPS {
        return error_status_message(
            StatusCode::BAD_REQUEST,
            "The sum of the id and login parameters must not exceed 100",
        );
    }
    if lookups.is_empty() {
        match &caller.login {
            Some(login) => lookups.push(Lookup::Login(login)),
            None => {
                return error_status_message(StatusCode::BAD_REQUEST, "Must provide an ID, Login or OAuth Token");
            }
        }
    }

    let public_base = &mock.shared().public_base;
    let store = mock.shared().lock();
    let mut seen = HashSet::new();
    let data: Vec<UserProfile> = lookups
        .iter()
        .filter_map(|lookup| match lookup {
            Lookup::Id(id) => store.users.profile_by_id(id, public_base),
            Lookup::Login(login) => store.users.profile_by_login(login, public_base),
        })
        .filter(|profile| seen.insert(profile.id.clone()))
        .map(|profile| with_email_if_allowed(profile, &caller))
        .collect();
    Json(json!({ "data": data })).into_response()
}

/// Helix includes `email` only for the token's own user, and only with `user:read:email`.
fn with_email_if_allowed(mut profile: UserProfile, caller: &HelixCaller) -> UserProfile {
    if caller.login.as_deref() == Some(profile.login.as_str()) && caller.has_scope(EMAIL_SCOPE) {
        profile.email = Some(format!("{}@example.com", profile.login));
    }
    profile
}
