//! Which users have authorized which applications, and with what scopes.
//!
//! Tokens come and go (they expire, are refreshed, are revoked by the app), but EventSub asks a
//! different question: has this user *connected* this client, and granted it a scope? Once they
//! have, the app token alone may subscribe to their scoped events, and their public events cost
//! nothing. So the grant is recorded here when a code is exchanged, outlives the tokens, and ends
//! only when the user disconnects the app.

use std::collections::{BTreeSet, HashMap};

/// Scopes granted per (client id, lower-cased login).
#[derive(Debug, Default)]
pub(crate) struct Authorizations {
    granted: HashMap<(String, String), BTreeSet<String>>,
}

impl Authorizations {
    /// Records that the user authorized the client with these scopes. Scopes add up across
    /// authorizations, since tokens issued earlier keep theirs.
    pub(crate) fn grant(&mut self, client_id: &str, login: &str, scopes: &[String]) {
        self.granted.entry((client_id.to_owned(), login.to_owned())).or_default().extend(scopes.iter().cloned());
    }

    /// Whether the user authorized the client at all, with any scopes or none.
    pub(crate) fn is_authorized(&self, client_id: &str, login: &str) -> bool {
        self.granted.contains_key(&(client_id.to_owned(), login.to_owned()))
    }

    /// Whether the user granted the client at least one of `any_of`.
    pub(crate) fn has_any_scope(&self, client_id: &str, login: &str, any_of: &[&str]) -> bool {
        self.granted
            .get(&(client_id.to_owned(), login.to_owned()))
            .is_some_and(|scopes| any_of.iter().any(|wanted| scopes.contains(*wanted)))
    }

    /// The user disconnected every app: forgets their grants and returns the clients they had
    /// authorized, sorted, so those clients can be told.
    pub(crate) fn forget_user(&mut self, login: &str) -> Vec<String> {
        let mut clients = Vec::new();
        self.granted.retain(|(client_id, granted_login), _| {
            let keep = granted_login != login;
            if !keep {
                clients.push(client_id.clone());
            }
            keep
        });
        clients.sort();
        clients
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scopes(names: &[&str]) -> Vec<String> {
        names.iter().map(|name| (*name).to_owned()).collect()
    }

    #[test]
    fn scopes_add_up_per_client_and_user() {
        let mut authorizations = Authorizations::default();
        authorizations.grant("client", "alice", &scopes(&["bits:read"]));
        authorizations.grant("client", "alice", &scopes(&["channel:read:polls"]));
        assert!(authorizations.has_any_scope("client", "alice", &["channel:read:polls"]));
        assert!(authorizations.has_any_scope("client", "alice", &["x", "bits:read"]));
        assert!(!authorizations.has_any_scope("other", "alice", &["bits:read"]));
        assert!(!authorizations.has_any_scope("client", "bob", &["bits:read"]));
    }

    #[test]
    fn an_authorization_without_scopes_still_counts() {
        let mut authorizations = Authorizations::default();
        authorizations.grant("client", "alice", &[]);
        assert!(authorizations.is_authorized("client", "alice"));
        assert!(!authorizations.has_any_scope("client", "alice", &["bits:read"]));
    }

    #[test]
    fn forgetting_a_user_names_the_clients_they_had_authorized() {
        let mut authorizations = Authorizations::default();
        authorizations.grant("b_client", "alice", &[]);
        authorizations.grant("a_client", "alice", &[]);
        authorizations.grant("a_client", "bob", &[]);
        assert_eq!(authorizations.forget_user("alice"), ["a_client", "b_client"]);
        assert!(!authorizations.is_authorized("a_client", "alice"));
        assert!(authorizations.is_authorized("a_client", "bob"));
        assert!(authorizations.forget_user("alice").is_empty());
    }
}
