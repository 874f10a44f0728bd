//! Quotas kept in this process: one arrival time per window for each token
//! and endpoint, timed by the tokio clock (so paused time applies).

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::time::Instant;

use super::{longest, Refusal, Window};

/// The arrival times of every token and endpoint seen.
#[derive(Debug, Default)]
pub(super) struct Table {
    /// Endpoint, then caller: the arrival time of each window.
    cells: Mutex<HashMap<&'static str, HashMap<String, Vec<Instant>>>>,
}

impl Table {
    /// Counts a call of `caller` on `endpoint` in every window if all of
    /// them admit it; otherwise counts nothing and tells how long to wait.
    pub(super) fn check(
        &self,
        caller: &str,
        endpoint: &'static str,
        windows: &[Window],
    ) -> Option<Refusal> {
        let now = Instant::now();
        let mut cells = self
            .cells
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let callers = cells.entry(endpoint).or_default();
        let arrivals = callers.get(caller);
        // The arrival time of each window if this call is admitted.
        let next: Vec<Instant> = windows
            .iter()
            .enumerate()
            .map(|(n, window)| {
                let tat = arrivals.and_then(|a| a.get(n)).copied().unwrap_or(now);
                tat.max(now) + window.interval()
            })
            .collect();
        // A window admits the call when its new arrival time is at most
        // one period ahead of now; otherwise it admits one once that holds.
        let refusal = longest(
            next.iter()
                .zip(windows)
                .map(|(&tat, window)| tat.saturating_duration_since(now + window.period())),
        );
        if refusal.is_none() {
            match callers.get_mut(caller) {
                Some(arrivals) => *arrivals = next,
                None => {
                    callers.insert(caller.to_owned(), next);
                }
            }
        }
        refusal
    }
}
