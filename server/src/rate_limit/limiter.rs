//! The limiters: one keyed GCRA limiter per door, addresses keyed as they are limited.

use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::doors::{Budgets, Door};

/// The limiters, shared by every request. Cheap to clone.
#[derive(Clone)]
pub struct RateLimits {
    doors: Arc<[Option<DefaultKeyedRateLimiter<IpAddr>>; 4]>,
}

impl RateLimits {
    pub fn new(budgets: Budgets) -> Self {
        let limiter = |per_minute: Option<NonZeroU32>| per_minute.map(|n| RateLimiter::keyed(Quota::per_minute(n)));
        let doors =
            [limiter(budgets.pages), limiter(budgets.sign_ins), limiter(budgets.actions), limiter(budgets.sockets)];
        RateLimits { doors: Arc::new(doors) }
    }

    fn limiter(&self, door: Door) -> Option<&DefaultKeyedRateLimiter<IpAddr>> {
        self.doors[door as usize].as_ref()
    }

    /// Spends one request of `client`'s budget at `door`; when there is none left, how long until there is.
    pub fn check(&self, door: Door, client: IpAddr) -> Result<(), Duration> {
        let Some(limiter) = self.limiter(door) else { return Ok(()) };
        limiter.check_key(&key(client)).map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }

    /// Forgets addresses whose budget is full again, so the tables hold only recent visitors.
    pub fn forget_idle(&self) {
        for limiter in self.doors.iter().flatten() {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

/// The key an address is limited under: IPv4 as is (and IPv4-mapped IPv6 as the IPv4 it is), IPv6 by its /64.
pub fn key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv6_addresses_share_their_64() {
        assert_eq!(key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(key(ip("2001:db8:1:2:ffff:ffff:ffff:ffff")), key(ip("2001:db8:1:2::7")));
        assert_ne!(key(ip("2001:db8:1:3::1")), key(ip("2001:db8:1:2::1")));
        assert_eq!(key(ip("::ffff:203.0.113.9")), ip("203.0.113.9"));
        assert_eq!(key(ip("203.0.113.9")), ip("203.0.113.9"));
    }

    #[test]
    fn a_budget_is_spent_then_refilled_and_addresses_do_not_share() {
        let per_minute = NonZeroU32::new(3);
        let limits = RateLimits::new(Budgets { pages: per_minute, sign_ins: None, actions: None, sockets: None });
        let (a, b) = (ip("203.0.113.1"), ip("203.0.113.2"));
        for _ in 0..3 {
            assert_eq!(limits.check(Door::Page, a), Ok(()));
        }
        let wait = limits.check(Door::Page, a).expect_err("the fourth in a minute is refused");
        assert!(wait > Duration::from_secs(15) && wait <= Duration::from_secs(20), "{wait:?}");
        assert_eq!(limits.check(Door::Page, b), Ok(()), "another address has its own budget");
        assert_eq!(limits.check(Door::SignIn, a), Ok(()), "a door without a limit");
    }
}
