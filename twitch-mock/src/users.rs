//! The user directory: who exists on the mock Twitch. A user exists if they are one of the seeded streamers or
//! have signed in through the authorize page; their profile derives from the login (`twitch_testkit::people`).

use std::collections::HashMap;

use twitch_testkit::people::{SEEDED_STREAMERS, UserProfile, profile_for, user_id_for};

/// Who exists: lower-cased login → display name, plus an index by user id.
#[derive(Debug)]
pub(crate) struct UserDirectory {
    display_names: HashMap<String, String>,
    logins_by_id: HashMap<String, String>,
}

impl UserDirectory {
    /// A directory holding just the seeded streamers.
    pub(crate) fn seeded() -> Self {
        let mut directory = Self { display_names: HashMap::new(), logins_by_id: HashMap::new() };
        for login in SEEDED_STREAMERS {
            directory.sign_in(login);
        }
        directory
    }

    /// Makes the login a known user. The first sign-in fixes the display name (the login as
    /// typed then), so a profile does not change under a client that cached it.
    pub(crate) fn sign_in(&mut self, login_as_typed: &str) {
        let lower = login_as_typed.to_ascii_lowercase();
        if self.display_names.contains_key(&lower) {
            return;
        }
        self.logins_by_id.insert(user_id_for(&lower), lower.clone());
        self.display_names.insert(lower, login_as_typed.to_owned());
    }

    pub(crate) fn exists(&self, login: &str) -> bool {
        self.display_names.contains_key(&login.to_ascii_lowercase())
    }

    /// The profile of an existing login (any case), or `None` for a login nobody has.
    pub(crate) fn profile_by_login(&self, login: &str, public_base: &str) -> Option<UserProfile> {
        let display_name = self.display_names.get(&login.to_ascii_lowercase())?;
        Some(profile_for(display_name, public_base))
    }

    /// The profile of the user with this id, or `None` if no known user has it.
    pub(crate) fn profile_by_id(&self, id: &str, public_base: &str) -> Option<UserProfile> {
        let login = self.logins_by_id.get(id)?;
        self.profile_by_login(login, public_base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_directory_finds_users_by_login_in_any_case_and_by_id() {
        let mut directory = UserDirectory::seeded();
        assert!(directory.exists("SevDemo"));
        assert!(!directory.exists("newcomer"));
        directory.sign_in("NewComer");
        directory.sign_in("newcomer");
        let profile = directory.profile_by_login("NEWCOMER", "http://mock").expect("signed in");
        assert_eq!(profile.display_name, "NewComer");
        assert_eq!(directory.profile_by_id(&profile.id, "http://mock"), Some(profile));
        assert_eq!(directory.profile_by_id("1", "http://mock"), None);
    }
}
