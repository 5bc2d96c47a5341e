//! Password hashing off the async workers, with its concurrency capped.
//!
//! Each Argon2id hash takes ~14 ms of CPU and 19 MiB of memory. Running them on the async workers would stall
//! token traffic during a login storm; running them unbounded would exhaust memory. So hashes run on
//! `concurrency` dedicated threads (default: one per core), each keeping its 19 MiB of working memory from one
//! hash to the next ([`charter_core::password::keep_memory_on_this_thread`]): memory stays at
//! `concurrency × 19 MiB` however long the storm, instead of growing with every thread that ever hashed. A short
//! queue waits behind them; beyond it, callers get [`PoolBusy`] and the page answers 429.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};

use tokio::sync::oneshot;

/// The queue is full: try again shortly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("password hashing is at capacity")]
pub struct PoolBusy;

type Job = Box<dyn FnOnce() + Send>;

#[derive(Debug)]
pub struct HashPool {
    jobs: Mutex<mpsc::Sender<Job>>,
    in_flight: Arc<AtomicUsize>,
    limit: usize,
}

impl HashPool {
    /// `concurrency` hashes at once, `queue` more waiting. The threads end when the pool is dropped.
    pub fn new(concurrency: usize, queue: usize) -> Self {
        let concurrency = concurrency.max(1);
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..concurrency {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("charter-hash-{i}"))
                .spawn(move || {
                    charter_core::password::keep_memory_on_this_thread();
                    loop {
                        // The lock is held only while waiting for the next job, not while running it.
                        let job = match rx.lock() {
                            Ok(rx) => rx.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(),
                            Err(_) => return,
                        }
                    }
                });
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password-hashing thread");
            }
        }
        Self {
            jobs: Mutex::new(tx),
            in_flight: Arc::new(AtomicUsize::new(0)),
            limit: concurrency + queue,
        }
    }

    /// Runs `work` on a hashing thread when one is free.
    pub async fn run<T, F>(&self, work: F) -> Result<T, PoolBusy>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        if self.in_flight.fetch_add(1, Ordering::SeqCst) >= self.limit {
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
            return Err(PoolBusy);
        }
        // The slot is given back when the job ends (or is dropped unrun), not when the caller stops waiting:
        // a client that disconnects does not free a thread that is still hashing for it.
        let slot = Slot(self.in_flight.clone());
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _slot = slot;
            let _ = tx.send(work());
        });
        let sent = self
            .jobs
            .lock()
            .map_err(|_| PoolBusy)
            .and_then(|jobs| jobs.send(job).map_err(|_| PoolBusy));
        sent?;
        rx.await.map_err(|_| PoolBusy)
    }
}

/// One place in the pool's count of running and queued jobs.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
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
