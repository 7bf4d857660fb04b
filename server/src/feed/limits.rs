//! Caps on open feed sockets: per client address, so one client cannot take every socket, and for the whole
//! instance, so everyone together cannot take more than its memory and file descriptors allow.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Clone)]
pub struct SocketLimits {
    per_address: usize,
    most: usize,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
    total: Arc<AtomicUsize>,
}

/// Why a socket was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// This address holds its share already.
    PerAddress,
    /// The instance holds as many as it may.
    Full,
}

/// Held while a socket is open; releases its slot when dropped.
pub struct Permit {
    limits: SocketLimits,
    address: IpAddr,
}

impl SocketLimits {
    pub fn new(per_address: usize, most: usize) -> Self {
        SocketLimits { per_address, most, open: Arc::default(), total: Arc::default() }
    }

    pub fn acquire(&self, address: IpAddr) -> Result<Permit, Refusal> {
        let mut open = self.open.lock().expect("limits lock poisoned");
        if self.total.load(Ordering::Relaxed) >= self.most {
            return Err(Refusal::Full);
        }
        let count = open.entry(address).or_insert(0);
        if *count >= self.per_address {
            return Err(Refusal::PerAddress);
        }
        *count += 1;
        self.total.fetch_add(1, Ordering::Relaxed);
        Ok(Permit { limits: self.clone(), address })
    }

    /// Sockets open from all addresses.
    pub fn total(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut open = self.limits.open.lock().expect("limits lock poisoned");
        self.limits.total.fetch_sub(1, Ordering::Relaxed);
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
        let limits = SocketLimits::new(2, 100);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let first = limits.acquire(a).unwrap();
        let _second = limits.acquire(a).unwrap();
        assert_eq!(limits.acquire(a).err(), Some(Refusal::PerAddress));
        let _other = limits.acquire(b).expect("other addresses are not affected");
        drop(first);
        let _again = limits.acquire(a).expect("a freed slot is free again");
        assert_eq!(limits.total(), 3);
    }

    #[test]
    fn the_instance_holds_at_most_its_cap_from_everyone() {
        let limits = SocketLimits::new(10, 3);
        let held: Vec<_> = (1..=3).map(|i| limits.acquire(format!("10.0.0.{i}").parse().unwrap()).unwrap()).collect();
        assert_eq!(limits.acquire("10.0.0.9".parse().unwrap()).err(), Some(Refusal::Full));
        drop(held);
        assert_eq!(limits.total(), 0);
        assert!(limits.acquire("10.0.0.9".parse().unwrap()).is_ok());
    }
}
