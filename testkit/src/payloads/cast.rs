//! The people and words that fill generated events: viewers with fun names, the other streamers who raid and
//! shout out, stream titles, categories, chat messages. Everything is picked by a sequence number, so a run of
//! events varies while a given `seq` always reads the same.

use crate::people::{SEEDED_STREAMERS, UserProfile, profile_for, user_id_for};

/// A user as events name them: id, login and display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Person {
    pub(super) id: String,
    pub(super) login: String,
    pub(super) name: String,
}

impl Person {
    /// Someone with this display name; the id is the one the mock gives the login, so a client that looks
    /// the user up by id or login finds the same person.
    fn named(display_name: &str) -> Self {
        let login = display_name.to_ascii_lowercase();
        Self { id: user_id_for(&login), login, name: display_name.to_owned() }
    }

    pub(super) fn from_profile(profile: &UserProfile) -> Self {
        Self { id: profile.id.clone(), login: profile.login.clone(), name: profile.display_name.clone() }
    }
}

/// The item at `seq`, cycling. `items` is always one of this module's non-empty constant lists.
pub(super) fn pick<T: Copy>(items: &[T], seq: u64) -> T {
    let index = usize::try_from(seq % items.len() as u64).unwrap_or(0);
    items[index]
}

const VIEWERS: &[&str] = &[
    "KappaKoala",
    "PogPenguin",
    "LurkingLlama",
    "ChatGoblin",
    "BitsBaron",
    "EmoteEnjoyer",
    "SubSquirrel",
    "HypeHedgehog",
    "CozyCactus",
    "NoScopeNoodle",
    "GG_Gecko",
    "PixelPirate",
    "TeaTimeTiger",
    "ClipChimp",
    "WaffleWizard",
    "BackseatBadger",
    "CaptainCopium",
];

/// A viewer: the `seq`-th fun name, with a stride so neighbouring events show different people.
pub(super) fn viewer(seq: u64) -> Person {
    Person::named(pick(VIEWERS, seq.wrapping_mul(7)))
}

/// Another viewer than [`viewer`]`(seq)`, for events that name two.
pub(super) fn second_viewer(seq: u64) -> Person {
    Person::named(pick(VIEWERS, seq.wrapping_mul(7).wrapping_add(3)))
}

/// Another channel (raiders, shout-out targets): a seeded streamer other than the broadcaster, so the demo's
/// own streamers raid each other.
pub(super) fn other_streamer(broadcaster: &UserProfile, seq: u64) -> Person {
    let others: Vec<&str> =
        SEEDED_STREAMERS.iter().copied().filter(|login| !login.eq_ignore_ascii_case(&broadcaster.login)).collect();
    let login = if others.is_empty() { "sevdemo" } else { pick(&others, seq) };
    Person::from_profile(&profile_for(login, ""))
}

/// (Twitch category id, name): real ids, so thumbnails or links built from them lead somewhere.
pub(super) const CATEGORIES: &[(&str, &str)] = &[
    ("509658", "Just Chatting"),
    ("27471", "Minecraft"),
    ("509660", "Art"),
    ("26936", "Music"),
    ("1469308723", "Software and Game Development"),
    ("32982", "Grand Theft Auto V"),
    ("21779", "League of Legends"),
    ("33214", "Fortnite"),
];

pub(super) const TITLES: &[&str] = &[
    "Chill vibes and chat takeover",
    "Any% attempts until the WR falls",
    "Drawing your pets, send pics!",
    "Cooking whatever chat dares me to",
    "First playthrough, no spoilers please",
    "Late-night horror with the lights off",
    "Building a castle one block at a time",
    "Lo-fi beats and bug fixing",
];

pub(super) const LANGUAGES: &[&str] = &["en", "en", "en", "de", "fr", "es", "ja"];

/// Content classification labels, mostly none.
pub(super) const LABELS: &[&[&str]] = &[&[], &[], &["MatureGame"], &[], &["ProfanityVulgarity"], &[]];

pub(super) const CHEER_MESSAGES: &[&str] = &[
    "Cheer100 great play!",
    "Cheer500 for the snack fund",
    "Cheer1000 that was insane",
    "Cheer50 hi from the lurk zone",
    "Cheer250 GG",
];

pub(super) const BITS: &[u64] = &[100, 500, 1000, 50, 250];

/// (text before the emote, emote, its Twitch emote id): resub messages end with the emote so its position
/// can be computed.
pub(super) const RESUB_MESSAGES: &[(&str, &str, &str)] = &[
    ("Love the stream! ", "Kappa", "25"),
    ("Another month of cozy vibes ", "<3", "9"),
    ("Still here, still lurking ", "HeyGuys", "30259"),
    ("Best community on Twitch ", "SeemsGood", "64138"),
];

pub(super) const TIERS: &[&str] = &["1000", "1000", "1000", "2000", "1000", "3000"];

/// (title, cost, prompt, whether the reward asks for text).
pub(super) const REWARDS: &[(&str, u64, &str, bool)] = &[
    ("Hydrate!", 100, "Make the streamer drink some water", false),
    ("Song request", 500, "Which song should play next?", true),
    ("Pick the next game", 2000, "Name a game for next stream", true),
    ("Say something nice", 250, "Your message is read out loud", true),
    ("Posture check", 150, "Sit up straight!", false),
];

pub(super) const REWARD_INPUTS: &[&str] = &["Never Gonna Give You Up", "Stardew Valley", "You are awesome!"];

/// (question, choices).
pub(super) const POLLS: &[(&str, &[&str])] = &[
    ("Aren’t shoes just really hard socks?", &["Yeah!", "No!", "Maybe!"]),
    ("What do we play next?", &["Minecraft", "Celeste", "Chat decides"]),
    ("Pineapple on pizza?", &["Yes", "Never"]),
    ("Best snack for a stream?", &["Popcorn", "Chips", "Fruit", "Cookies"]),
];

/// (question, outcome for the blue side, outcome for the pink side).
pub(super) const PREDICTIONS: &[(&str, &str, &str)] = &[
    ("Will we beat the boss this try?", "Yes, easy", "No chance"),
    ("Does the cake come out right?", "Perfect", "Disaster"),
    ("New personal best tonight?", "PB incoming", "Not today"),
];

/// Hype train contribution kinds.
pub(super) const CONTRIBUTIONS: &[&str] = &["bits", "subscription", "other"];

pub(super) const STREAM_TYPES: &[&str] = &["live", "live", "live", "live", "premiere", "rerun"];

pub(super) const AD_LENGTHS: &[u64] = &[30, 60, 90, 180];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neighbouring_sequence_numbers_name_different_viewers() {
        assert_ne!(viewer(1), viewer(2));
        assert_ne!(viewer(5), second_viewer(5));
        assert_eq!(viewer(3), viewer(3));
        assert_eq!(viewer(3).id, user_id_for(&viewer(3).login));
    }

    #[test]
    fn another_streamer_is_never_the_broadcaster() {
        let broadcaster = profile_for("sevdemo", "");
        for seq in 0..20 {
            assert_ne!(other_streamer(&broadcaster, seq).login, "sevdemo");
        }
    }
}
