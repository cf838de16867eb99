//! Request counters for benchmarks and diagnostics ("Graph requests per user").
//!
//! Counters are plain relaxed atomics shared by a client and its clones; [`ClientStats`] is a
//! point-in-time copy.

use std::sync::atomic::{AtomicU64, Ordering};

/// A snapshot of a client's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientStats {
    /// HTTP requests sent to Graph, retries included (a `$batch` counts once).
    pub requests: u64,
    /// Of those, how many were retries.
    pub retries: u64,
    /// Answers with status 429 (top-level or inside a batch).
    pub throttled: u64,
    /// Requests sent to the token endpoint.
    pub token_requests: u64,
    /// Individual requests carried inside `$batch` calls.
    pub batched_requests: u64,
    /// `$batch` calls sent (each also counted in `requests`).
    pub batches: u64,
}

impl ClientStats {
    /// Requests Graph processed on its own terms: each item of a batch counts, the `$batch`
    /// envelope does not (this is what throttling charges).
    pub fn graph_requests(&self) -> u64 {
        self.requests.saturating_sub(self.batches) + self.batched_requests
    }

    /// The counts accumulated since `earlier` (for per-operation or per-user figures).
    pub fn since(&self, earlier: &ClientStats) -> ClientStats {
        ClientStats {
            requests: self.requests.saturating_sub(earlier.requests),
            retries: self.retries.saturating_sub(earlier.retries),
            throttled: self.throttled.saturating_sub(earlier.throttled),
            token_requests: self.token_requests.saturating_sub(earlier.token_requests),
            batched_requests: self
                .batched_requests
                .saturating_sub(earlier.batched_requests),
            batches: self.batches.saturating_sub(earlier.batches),
        }
    }
}

/// Live counters behind [`ClientStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    requests: AtomicU64,
    retries: AtomicU64,
    throttled: AtomicU64,
    token_requests: AtomicU64,
    batched_requests: AtomicU64,
    batches: AtomicU64,
}

impl Counters {
    pub(crate) fn request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn throttled(&self) {
        self.throttled.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn token_request(&self) {
        self.token_requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn batched(&self, count: usize) {
        self.batched_requests
            .fetch_add(u64::try_from(count).unwrap_or(u64::MAX), Ordering::Relaxed);
        self.batches.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> ClientStats {
        ClientStats {
            requests: self.requests.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            throttled: self.throttled.load(Ordering::Relaxed),
            token_requests: self.token_requests.load(Ordering::Relaxed),
            batched_requests: self.batched_requests.load(Ordering::Relaxed),
            batches: self.batches.load(Ordering::Relaxed),
        }
    }
}
