//! Reconnect delays: exponential with jitter, reset after a stable connection.
//!
//! Jitter spreads a fleet of viewers that lost the same server so they do not all come back in
//! the same instant.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub struct BackoffConfig {
    /// Delay before the first retry.
    pub initial: Duration,
    /// The delay doubles per failure up to this.
    pub max: Duration,
    /// Each delay is scaled by a random factor in 1 ± jitter.
    pub jitter: f64,
    /// A connection that lasted this long resets the delay to `initial`.
    pub stable_after: Duration,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(30),
            jitter: 0.2,
            stable_after: Duration::from_secs(10),
        }
    }
}

impl BackoffConfig {
    /// The range the delay after `failures` earlier failures falls in.
    pub fn bounds(&self, failures: u32) -> (Duration, Duration) {
        let base = self.base(failures);
        (
            base.mul_f64(1.0 - self.jitter).min(self.max),
            base.mul_f64(1.0 + self.jitter).min(self.max),
        )
    }

    fn base(&self, failures: u32) -> Duration {
        let factor = 2f64.powi(failures.min(30) as i32);
        self.initial.mul_f64(factor).min(self.max)
    }
}

#[derive(Debug, Clone)]
pub struct Backoff {
    config: BackoffConfig,
    failures: u32,
    rng: fastrand::Rng,
}

impl Backoff {
    pub fn new(config: BackoffConfig, seed: u64) -> Self {
        Self {
            config,
            failures: 0,
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    /// The delay before the next attempt; each call counts one more failure.
    pub fn next_delay(&mut self) -> Duration {
        let base = self.config.base(self.failures);
        self.failures = self.failures.saturating_add(1);
        let j = self.config.jitter.clamp(0.0, 1.0);
        let factor = 1.0 - j + 2.0 * j * self.rng.f64();
        base.mul_f64(factor).min(self.config.max)
    }

    /// After a connection that lasted at least `stable_after`, start again from `initial`.
    pub fn connection_ended(&mut self, lasted: Duration) {
        if lasted >= self.config.stable_after {
            self.reset();
        }
    }

    pub fn reset(&mut self) {
        self.failures = 0;
    }

    pub fn failures(&self) -> u32 {
        self.failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_half_a_second_to_thirty_within_the_jitter() {
        let config = BackoffConfig::default();
        let mut b = Backoff::new(config.clone(), 7);
        for failures in 0..12 {
            let (lo, hi) = config.bounds(failures);
            let d = b.next_delay();
            assert!(
                d >= lo && d <= hi,
                "failure {failures}: {d:?} not in {lo:?}..{hi:?}"
            );
        }
        assert_eq!(
            config.bounds(0),
            (Duration::from_millis(400), Duration::from_millis(600))
        );
        assert_eq!(
            config.bounds(1),
            (Duration::from_millis(800), Duration::from_millis(1200))
        );
        assert_eq!(config.bounds(20).1, Duration::from_secs(30));
    }

    #[test]
    fn jitter_makes_two_clients_wait_differently() {
        let mut a = Backoff::new(BackoffConfig::default(), 1);
        let mut b = Backoff::new(BackoffConfig::default(), 2);
        let da: Vec<_> = (0..5).map(|_| a.next_delay()).collect();
        let db: Vec<_> = (0..5).map(|_| b.next_delay()).collect();
        assert_ne!(da, db);
    }

    #[test]
    fn a_stable_connection_resets_the_delay_and_a_short_one_does_not() {
        let config = BackoffConfig::default();
        let mut b = Backoff::new(config.clone(), 3);
        for _ in 0..5 {
            b.next_delay();
        }
        b.connection_ended(Duration::from_secs(1));
        assert_eq!(b.failures(), 5);
        b.connection_ended(config.stable_after);
        assert_eq!(b.failures(), 0);
        let d = b.next_delay();
        assert!(d <= config.bounds(0).1);
    }
}
