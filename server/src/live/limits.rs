//! A cap on open feed sockets per client address, so one client cannot exhaust the server's connections.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct ConnectionLimits {
    per_address: usize,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// Held while a socket is open; releases its slot when dropped.
pub struct Permit {
    limits: ConnectionLimits,
    address: IpAddr,
}

impl ConnectionLimits {
    pub fn new(per_address: usize) -> Self {
        ConnectionLimits { per_address, open: Arc::default() }
    }

    pub fn acquire(&self, address: IpAddr) -> Option<Permit> {
        let mut open = self.open.lock().expect("limits lock poisoned");
        let count = open.entry(address).or_insert(0);
        if *count >= self.per_address {
            return None;
        }
        *count += 1;
        Some(Permit { limits: self.clone(), address })
    }

    /// Sockets open from all addresses.
    pub fn total(&self) -> usize {
        self.open.lock().expect("limits lock poisoned").values().sum()
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut open = self.limits.open.lock().expect("limits lock poisoned");
        if let Some(count) = open.get_mut(&self.address) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.address);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_at_most_its_share_and_slots_come_back() {
        let limits = ConnectionLimits::new(2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let first = limits.acquire(a).unwrap();
        let _second = limits.acquire(a).unwrap();
        assert!(limits.acquire(a).is_none());
        assert!(limits.acquire(b).is_some(), "other addresses are not affected");
        drop(first);
        assert!(limits.acquire(a).is_some());
    }
}
