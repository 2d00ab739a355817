//! What the consent form may not carry itself: how long the request it was shown for is kept,
//! and the count of wrong passwords.
//!
//! The page's form carries one hidden field, `request_id`: an unguessable id for the request
//! the GET checked, kept in the database (`oauth_pending`, see `store.rs`) for
//! [`PENDING_LIFETIME`] seconds and taken once, so the page and its answer may reach different
//! instances. The POST reads the client, redirect URI, scope, state and PKCE challenge from
//! there, never from the form, so a form that was not shown by this server, was changed, or is
//! sent twice is refused. The wrong passwords are counted in memory, per instance: a restart
//! forgets them.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

/// How long a consent page can be answered, in seconds.
pub const PENDING_LIFETIME: u64 = 10 * 60;
/// Wrong passwords for one username before it is locked.
pub const MAX_WRONG_PASSWORDS: u32 = 5;
/// How long a username stays locked after its last counted wrong password, in seconds.
pub const LOCKOUT_SECONDS: u64 = 15 * 60;
/// The most usernames whose wrong passwords are counted; past it the stalest are forgotten.
pub const MAX_TRACKED_USERNAMES: usize = 10_000;

/// The map behind a mutex, even if a thread panicked while holding it (the map stays valid).
fn locked<K, V>(map: &Mutex<HashMap<K, V>>) -> MutexGuard<'_, HashMap<K, V>> {
    map.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Wrong passwords per username: after [`MAX_WRONG_PASSWORDS`] of them, less than
/// [`LOCKOUT_SECONDS`] apart, the username is locked until [`LOCKOUT_SECONDS`] after the last
/// one, even for the right password.
#[derive(Default)]
pub struct WrongPasswords {
    /// The count and the time of the last one, by username.
    failures: Mutex<HashMap<String, (u32, u64)>>,
}

impl WrongPasswords {
    /// Whether sign-ins as `username` are refused for now.
    pub fn locked(&self, username: &str, now: u64) -> bool {
        locked(&self.failures)
            .get(username)
            .is_some_and(|&(count, last_at)| {
                count >= MAX_WRONG_PASSWORDS && now < last_at + LOCKOUT_SECONDS
            })
    }

    /// Counts a wrong password for `username`.
    pub fn failed(&self, username: &str, now: u64) {
        let mut failures = locked(&self.failures);
        let count = match failures.get(username) {
            Some(&(count, last_at)) if now < last_at + LOCKOUT_SECONDS => count + 1,
            _ => 1,
        };
        failures.insert(username.to_owned(), (count, now));
        while failures.len() > MAX_TRACKED_USERNAMES {
            let stalest = failures
                .iter()
                .min_by_key(|(_, (_, last_at))| *last_at)
                .map(|(name, _)| name.clone());
            match stalest {
                Some(stalest) => failures.remove(&stalest),
                None => break,
            };
        }
    }

    /// Forgets the wrong passwords of `username`.
    pub fn succeeded(&self, username: &str) {
        locked(&self.failures).remove(username);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_passwords_lock_a_username_for_a_while() {
        let wrong = WrongPasswords::default();
        for _ in 0..MAX_WRONG_PASSWORDS - 1 {
            wrong.failed("alice", 1000);
        }
        assert!(!wrong.locked("alice", 1000));
        wrong.failed("alice", 1000);
        assert!(wrong.locked("alice", 1000));
        assert!(!wrong.locked("bob", 1000));
        assert!(!wrong.locked("alice", 1000 + LOCKOUT_SECONDS));
        wrong.succeeded("alice");
        assert!(!wrong.locked("alice", 1000));
    }
}
