//! Limits, so one client cannot starve the others: a token bucket per kind of message, and a
//! cap on the connections one client address may hold at once.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// The next connection on `listener`, or `None` once `shutdown` turns true. An accept error
/// (out of file descriptors, say) is logged and retried after a pause rather than spun on.
pub async fn next_connection(
    listener: &tokio::net::TcpListener,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
) -> Option<(tokio::net::TcpStream, std::net::SocketAddr)> {
    loop {
        tokio::select! {
            _ = shutdown.changed() => return None,
            accepted = listener.accept() => match accepted {
                Ok(a) => return Some(a),
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                }
            },
        }
    }
}

/// A port's connection slots: a cap over all its connections, and one per client address.
pub struct PortSlots {
    all: Arc<tokio::sync::Semaphore>,
    by_address: AddressSlots,
}

/// One connection's hold on its port's slots, given back on drop.
pub struct PortSlot {
    _address: AddressSlot,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl PortSlots {
    /// At most `max` connections, and `per_address` from one address (0: no such cap).
    pub fn new(max: usize, per_address: usize) -> Self {
        Self {
            all: Arc::new(tokio::sync::Semaphore::new(max.max(1))),
            by_address: AddressSlots::new(if per_address == 0 {
                usize::MAX
            } else {
                per_address
            }),
        }
    }

    /// A slot for one more connection from `ip`, or why there is none.
    pub fn take(&self, ip: IpAddr) -> Result<PortSlot, crate::metrics::Turned> {
        let address = self
            .by_address
            .take(ip)
            .ok_or(crate::metrics::Turned::Address)?;
        let permit = self
            .all
            .clone()
            .try_acquire_owned()
            .map_err(|_| crate::metrics::Turned::Full)?;
        Ok(PortSlot {
            _address: address,
            _permit: permit,
        })
    }
}

/// The next connection on `listener` that holds a slot of the port's (one turned away is
/// counted and closed), or `None` once `shutdown` turns true.
pub async fn next_admitted(
    listener: &tokio::net::TcpListener,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
    slots: &PortSlots,
    metrics: &crate::metrics::Metrics,
) -> Option<(tokio::net::TcpStream, std::net::SocketAddr, PortSlot)> {
    loop {
        let (stream, peer) = next_connection(listener, shutdown).await?;
        match slots.take(peer.ip()) {
            Ok(slot) => return Some((stream, peer, slot)),
            Err(why) => metrics.turned_away(why),
        }
    }
}

/// Open connections by client address, each at most `per_address`.
#[derive(Debug, Clone)]
pub struct AddressSlots {
    per_address: usize,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One connection's place in its address's count, given back on drop.
#[derive(Debug)]
pub struct AddressSlot {
    ip: IpAddr,
    open: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

impl AddressSlots {
    pub fn new(per_address: usize) -> Self {
        Self {
            per_address,
            open: Arc::default(),
        }
    }

    /// A slot for one more connection from `ip`, or `None` when it holds its share already.
    pub fn take(&self, ip: IpAddr) -> Option<AddressSlot> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let n = open.entry(ip).or_insert(0);
        if *n >= self.per_address {
            return None;
        }
        *n += 1;
        Some(AddressSlot {
            ip,
            open: self.open.clone(),
        })
    }

    /// Addresses holding connections now (bounded by the connections themselves).
    #[cfg(test)]
    fn addresses(&self) -> usize {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = open.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// Allows `burst` events at once and `per_second` on average.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    burst: f64,
    per_second: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn new(per_second: f64, burst: f64, now: Instant) -> Self {
        Self {
            burst,
            per_second,
            tokens: burst,
            last: now,
        }
    }

    /// Takes one token if there is one.
    pub fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_second).min(self.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_address_holds_at_most_its_share_and_gets_slots_back_as_connections_close() {
        let slots = super::AddressSlots::new(2);
        let a: std::net::IpAddr = "192.0.2.1".parse().expect("ip");
        let b: std::net::IpAddr = "192.0.2.2".parse().expect("ip");
        let first = slots.take(a).expect("first");
        let _second = slots.take(a).expect("second");
        assert!(slots.take(a).is_none(), "a third from the same address");
        let _other = slots.take(b).expect("another address is not affected");
        drop(first);
        assert!(
            slots.take(a).is_some(),
            "a closed connection gives its slot back"
        );
        drop(_second);
        assert_eq!(
            slots.addresses(),
            1,
            "emptied addresses are forgotten (b is still open)"
        );
    }

    use std::time::Duration;

    use super::*;

    #[test]
    fn a_bucket_allows_its_burst_then_its_rate() {
        let t0 = Instant::now();
        let mut b = TokenBucket::new(10.0, 5.0, t0);
        assert_eq!((0..8).filter(|_| b.take(t0)).count(), 5);
        // A tenth of a second later, one more.
        assert!(b.take(t0 + Duration::from_millis(100)));
        assert!(!b.take(t0 + Duration::from_millis(100)));
        // Long idle refills to the burst, not beyond.
        let later = t0 + Duration::from_secs(60);
        assert_eq!((0..8).filter(|_| b.take(later)).count(), 5);
    }
}
