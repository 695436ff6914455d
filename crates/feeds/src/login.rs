//! A feed's login session (Traccar's `JSESSIONID` cookie), shared by its connection and the
//! history requests made on its behalf, so asking for a vehicle's day does not log in again.

use std::sync::{Arc, Mutex};

/// The session cookie of a feed's last good login, if any.
#[derive(Debug, Clone, Default)]
pub(crate) struct Login(Arc<Mutex<Option<String>>>);

impl Login {
    pub(crate) fn get(&self) -> Option<String> {
        self.0.lock().ok().and_then(|s| s.clone())
    }

    pub(crate) fn set(&self, session: Option<String>) {
        if let Ok(mut s) = self.0.lock() {
            *s = session;
        }
    }
}
