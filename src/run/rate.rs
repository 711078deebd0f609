//! Pacing requests to a real server: a run-wide rate limit (`rate_limit = N` requests
//! per second) and the pauses a `429 Too Many Requests` asks for with `Retry-After`.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// How often, and how long, a request answered with 429 is tried again.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Retries after a 429 before the 429 stands (the step is then an `error`).
    pub max_retries: u32,
    /// Longest wait accepted; a server asking for more gets no retry.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            max_wait: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (0-based) when the server gave no usable
    /// `Retry-After`: 1 s, 2 s, 4 s, ...
    pub fn backoff(&self, retry: u32) -> Duration {
        Duration::from_secs(1u64 << retry.min(16))
    }
}

/// When requests may be sent: at most one per `interval`, never before a pause ends.
/// Pure (the clock is passed in), so its schedule is tested without sleeping.
#[derive(Debug, Default)]
pub struct Schedule {
    interval: Option<Duration>,
    next: Option<Instant>,
    paused_until: Option<Instant>,
}

impl Schedule {
    /// A schedule of at most `per_second` requests per second (None: unlimited).
    pub fn new(per_second: Option<f64>) -> Schedule {
        Schedule {
            interval: per_second
                .filter(|n| n.is_finite() && *n > 0.0)
                .map(|n| Duration::from_secs_f64(1.0 / n)),
            next: None,
            paused_until: None,
        }
    }

    /// Reserves the earliest send time at or after `now` and returns it.
    pub fn reserve(&mut self, now: Instant) -> Instant {
        let mut at = now;
        if let Some(paused) = self.paused_until {
            at = at.max(paused);
        }
        if let Some(interval) = self.interval {
            if let Some(next) = self.next {
                at = at.max(next);
            }
            self.next = Some(at + interval);
        }
        at
    }

    /// No request is sent before `until` (a 429 pauses the whole run, not one case).
    pub fn pause_until(&mut self, until: Instant) {
        self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
    }
}

/// The run-wide [`Schedule`], shared by every request of a client.
#[derive(Debug, Default)]
pub struct Pacer {
    schedule: Mutex<Schedule>,
}

impl Pacer {
    /// A pacer allowing `per_second` requests per second (None: unlimited).
    pub fn new(per_second: Option<f64>) -> Pacer {
        Pacer {
            schedule: Mutex::new(Schedule::new(per_second)),
        }
    }

    /// Waits for this request's turn.
    pub async fn acquire(&self) {
        let now = Instant::now();
        let at = match self.schedule.lock() {
            Ok(mut s) => s.reserve(now),
            Err(poisoned) => poisoned.into_inner().reserve(now),
        };
        if at > now {
            tokio::time::sleep(at - now).await;
        }
    }

    /// Holds every request back for `wait` from now.
    pub fn pause(&self, wait: Duration) {
        let until = Instant::now() + wait;
        match self.schedule.lock() {
            Ok(mut s) => s.pause_until(until),
            Err(poisoned) => poisoned.into_inner().pause_until(until),
        }
    }
}

/// The wait a `Retry-After` value asks for (RFC 9110 §10.2.3): delay-seconds or an
/// HTTP-date (a date in the past means no wait). None when it is neither.
pub fn retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlimited_schedule_never_waits() {
        let mut s = Schedule::new(None);
        let t0 = Instant::now();
        for _ in 0..100 {
            assert_eq!(s.reserve(t0), t0);
        }
    }

    #[test]
    fn rate_limit_spaces_requests_evenly() {
        let mut s = Schedule::new(Some(4.0));
        let t0 = Instant::now();
        let slots: Vec<Duration> = (0..5).map(|_| s.reserve(t0) - t0).collect();
        assert_eq!(
            slots,
            [0, 250, 500, 750, 1000].map(Duration::from_millis).to_vec()
        );
    }

    #[test]
    fn idle_time_is_not_saved_up_for_a_burst() {
        let mut s = Schedule::new(Some(2.0));
        let t0 = Instant::now();
        assert_eq!(s.reserve(t0), t0);
        // Ten seconds of silence, then three requests at once: still 500 ms apart.
        let later = t0 + Duration::from_secs(10);
        assert_eq!(s.reserve(later), later);
        assert_eq!(s.reserve(later), later + Duration::from_millis(500));
        assert_eq!(s.reserve(later), later + Duration::from_millis(1000));
    }

    #[test]
    fn a_pause_holds_back_every_later_request() {
        let mut s = Schedule::new(Some(10.0));
        let t0 = Instant::now();
        s.pause_until(t0 + Duration::from_secs(3));
        // A shorter pause asked for later does not shorten it.
        s.pause_until(t0 + Duration::from_secs(1));
        assert_eq!(s.reserve(t0), t0 + Duration::from_secs(3));
        assert_eq!(
            s.reserve(t0),
            t0 + Duration::from_secs(3) + Duration::from_millis(100)
        );
        let mut unlimited = Schedule::new(None);
        unlimited.pause_until(t0 + Duration::from_secs(2));
        assert_eq!(unlimited.reserve(t0), t0 + Duration::from_secs(2));
        assert_eq!(
            unlimited.reserve(t0 + Duration::from_secs(5)),
            t0 + Duration::from_secs(5)
        );
    }

    #[test]
    fn nonsense_rates_mean_unlimited() {
        for rate in [Some(0.0), Some(-1.0), Some(f64::NAN), Some(f64::INFINITY)] {
            let mut s = Schedule::new(rate);
            let t0 = Instant::now();
            s.reserve(t0);
            assert_eq!(s.reserve(t0), t0, "{rate:?}");
        }
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").expect("date");
        assert_eq!(retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:42 GMT", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            retry_after("Sun, 06 Nov 1994 08:49:30 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-1", now), None);
    }

    #[test]
    fn backoff_doubles() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(0), Duration::from_secs(1));
        assert_eq!(p.backoff(2), Duration::from_secs(4));
    }
}
