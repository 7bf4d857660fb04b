//! People on the mock Twitch: what Helix shows about a login.
//!
//! Everything about a user (id, broadcaster type, creation date, avatar) is derived from the login, so the same
//! login always gets the same profile: across restarts, in the demo, in the tools' generated events and in tests,
//! without anyone having to store more than the display name.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::time::rfc3339_utc;

/// Logins that exist from start-up, so demo mode has streamers to look up before anyone signs in.
pub const SEEDED_STREAMERS: &[&str] =
    &["sevdemo", "pixel_panda", "speedrun_sam", "cozy_cat_tv", "nightowl_live", "retro_rex", "chef_chloe", "lofi_luna"];

/// A user as `GET /helix/users` returns it; the field names are Twitch's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserProfile {
    pub id: String,
    pub login: String,
    pub display_name: String,
    /// `"admin"`, `"global_mod"`, `"staff"` or `""`; always `""` on the mock.
    #[serde(rename = "type")]
    pub user_type: String,
    /// `"partner"`, `"affiliate"` or `""`.
    pub broadcaster_type: String,
    pub description: String,
    pub profile_image_url: String,
    pub offline_image_url: String,
    /// Deprecated by Twitch and always 0 there; kept because the field is still sent.
    pub view_count: u64,
    /// Only present for the token's own user when the token has `user:read:email`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub created_at: String,
}

/// Twitch's login rule: 4 to 25 ASCII letters, digits or underscores.
pub fn is_valid_login(login: &str) -> bool {
    (4..=25).contains(&login.len()) && login.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
}

/// The stable user id of a login: 8 or 9 decimal digits, never starting with 0, derived from the
/// SHA-256 of the lower-cased login. Real Twitch ids are numeric strings of that length too, so
/// clients that (wrongly) parse or size-check ids behave here as they would in production.
pub fn user_id_for(login: &str) -> String {
    const LOWEST: u64 = 10_000_000;
    const PAST_HIGHEST: u64 = 1_000_000_000;
    let number = LOWEST + login_hash(login) % (PAST_HIGHEST - LOWEST);
    number.to_string()
}

/// The stable profile of a login, as Helix shows it. For anyone but a seeded streamer the
/// display name is `login` exactly as given, which is how the directory keeps the capitalisation
/// a user typed when signing in.
pub fn profile_for(login: &str, public_base: &str) -> UserProfile {
    let lower = login.to_ascii_lowercase();
    let hash = login_hash(&lower);
    let (display_name, broadcaster_type, description) = match seeded_details(&lower) {
        Some(seed) => (seed.display_name.to_owned(), seed.broadcaster_type.to_owned(), seed.description.to_owned()),
        None => (login.to_owned(), derived_broadcaster_type(hash).to_owned(), String::new()),
    };
    UserProfile {
        id: user_id_for(&lower),
        profile_image_url: format!("{}/avatars/{lower}.svg", public_base.trim_end_matches('/')),
        login: lower,
        display_name,
        user_type: String::new(),
        broadcaster_type,
        description,
        offline_image_url: String::new(),
        view_count: 0,
        email: None,
        created_at: derived_created_at(hash),
    }
}

/// First eight bytes of SHA-256 of the lower-cased login, as a number.
pub fn login_hash(login: &str) -> u64 {
    let digest = Sha256::digest(login.to_ascii_lowercase().as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

struct SeedDetails {
    display_name: &'static str,
    broadcaster_type: &'static str,
    description: &'static str,
}

fn seeded_details(login: &str) -> Option<SeedDetails> {
    let (display_name, broadcaster_type, description) = match login {
        "sevdemo" => ("SevDemo", "affiliate", "The demo channel for sev. Say hi!"),
        "pixel_panda" => ("PixelPanda", "partner", "Pixel art, indie games and a lot of bamboo."),
        "speedrun_sam" => ("SpeedrunSam", "partner", "Any% runs, route planning and the occasional world record."),
        "cozy_cat_tv" => ("CozyCatTV", "affiliate", "Cosy games, tea and a cat who steals the show."),
        "nightowl_live" => ("NightOwlLive", "affiliate", "Late-night chats and horror games after midnight."),
        "retro_rex" => ("RetroRex", "", "Retro consoles, CRTs and games older than chat."),
        "chef_chloe" => ("ChefChloe", "partner", "Cooking live: you pick the ingredients, I cook."),
        "lofi_luna" => ("LofiLuna", "", "Lo-fi beats to study and stream to."),
        _ => return None,
    };
    Some(SeedDetails { display_name, broadcaster_type, description })
}

/// Most accounts are neither partners nor affiliates; the hash spreads them 1:2:7.
fn derived_broadcaster_type(hash: u64) -> &'static str {
    match (hash >> 16) % 10 {
        0 => "partner",
        1 | 2 => "affiliate",
        _ => "",
    }
}

/// A creation date between 2011 and 2023, with a time of day, both from the hash.
fn derived_created_at(hash: u64) -> String {
    const FROM: u64 = 1_293_840_000; // 2011-01-01T00:00:00Z
    const SPAN: u64 = 12 * 365 * 86_400;
    rfc3339_utc(FROM + (hash >> 24) % SPAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_are_stable_numeric_and_never_start_with_zero() {
        for login in SEEDED_STREAMERS.iter().copied().chain(["abcd", "zzzz_9"]) {
            let id = user_id_for(login);
            assert!((8..=9).contains(&id.len()), "{login} → {id}");
            assert!(id.bytes().all(|byte| byte.is_ascii_digit()));
            assert!(!id.starts_with('0'));
            assert_eq!(id, user_id_for(&login.to_ascii_uppercase()));
        }
        assert_ne!(user_id_for("pixel_panda"), user_id_for("speedrun_sam"));
    }

    #[test]
    fn every_seeded_streamer_is_a_valid_login_with_details() {
        for login in SEEDED_STREAMERS {
            assert!(is_valid_login(login), "{login}");
            assert!(seeded_details(login).is_some(), "{login} lacks details");
        }
    }

    #[test]
    fn login_rule_matches_twitch() {
        assert!(is_valid_login("abcd"));
        assert!(is_valid_login("Some_User_42"));
        assert!(is_valid_login(&"a".repeat(25)));
        assert!(!is_valid_login("abc"));
        assert!(!is_valid_login(&"a".repeat(26)));
        assert!(!is_valid_login("with space"));
        assert!(!is_valid_login("dash-ed"));
        assert!(!is_valid_login("ünïcode"));
    }

    #[test]
    fn profiles_keep_the_typed_case_as_display_name_and_lower_case_login() {
        let profile = profile_for("CoolGuy_7", "http://mock/");
        assert_eq!(profile.login, "coolguy_7");
        assert_eq!(profile.display_name, "CoolGuy_7");
        assert_eq!(profile.id, user_id_for("coolguy_7"));
        assert_eq!(profile.profile_image_url, "http://mock/avatars/coolguy_7.svg");
        assert_eq!(profile, profile_for("CoolGuy_7", "http://mock"));
    }

    #[test]
    fn seeded_streamers_get_their_nice_display_names() {
        let profile = profile_for("PIXEL_PANDA", "http://mock");
        assert_eq!(profile.display_name, "PixelPanda");
        assert_eq!(profile.broadcaster_type, "partner");
    }

    #[test]
    fn profile_serialises_with_twitch_field_names() {
        let json = serde_json::to_value(profile_for("sevdemo", "http://mock")).expect("json");
        assert_eq!(json["type"], "");
        assert!(json.get("user_type").is_none());
        assert!(json.get("email").is_none());
        assert_eq!(json["view_count"], 0);
        let created_at = json["created_at"].as_str().expect("string");
        assert!(created_at.ends_with('Z') && created_at.len() == 20);
    }
}
