//! Password hashing off the async workers, with its concurrency capped.
//!
//! Each Argon2id hash takes ~14 ms of CPU and 19 MiB of memory. Running them on the async workers would stall
//! token traffic during a login storm; running them unbounded would exhaust memory. So hashes run on the
//! blocking pool, at most `concurrency` at a time (default: one per core), with a short queue behind them;
//! beyond it, callers get [`PoolBusy`] and the page answers 429.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::Semaphore;

/// The queue is full: try again shortly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("password hashing is at capacity")]
pub struct PoolBusy;

#[derive(Debug)]
pub struct HashPool {
    permits: Arc<Semaphore>,
    in_flight: AtomicUsize,
    limit: usize,
}

impl HashPool {
    /// `concurrency` hashes at once, `queue` more waiting.
    pub fn new(concurrency: usize, queue: usize) -> Self {
        let concurrency = concurrency.max(1);
        Self {
            permits: Arc::new(Semaphore::new(concurrency)),
            in_flight: AtomicUsize::new(0),
            limit: concurrency + queue,
        }
    }

    /// Runs `work` on the blocking pool when a slot is free.
    pub async fn run<T, F>(&self, work: F) -> Result<T, PoolBusy>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        if self.in_flight.fetch_add(1, Ordering::SeqCst) >= self.limit {
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            return Err(PoolBusy);
        }
        let result = async {
            let permit = self
                .permits
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| PoolBusy)?;
            tokio::task::spawn_blocking(move || {
                let _permit = permit;
                work()
            })
            .await
            .map_err(|_| PoolBusy)
        }
        .await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn beyond_the_queue_callers_are_turned_away() {
        let pool = Arc::new(HashPool::new(1, 1));
        let slow = |pool: Arc<HashPool>| async move {
            pool.run(|| std::thread::sleep(Duration::from_millis(300)))
                .await
        };
        let a = tokio::spawn(slow(pool.clone()));
        let b = tokio::spawn(slow(pool.clone()));
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(
            pool.run(|| ()).await,
            Err(PoolBusy),
            "one running, one queued: full"
        );
        assert!(a.await.unwrap().is_ok());
        assert!(b.await.unwrap().is_ok());
        assert_eq!(pool.run(|| 7).await, Ok(7), "free again");
    }
}
