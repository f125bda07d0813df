//! On-CPU timing for benchmarks on a loaded, shared machine (feature `bench`).
//!
//! Criterion's wall clock counts the time a benchmark thread waits for a core, so on a busy
//! machine it measures the neighbours. The time the thread actually ran
//! (`CLOCK_THREAD_CPUTIME_ID` on Linux) does not, so versions compared by it stay comparable.
//! Use it from criterion's `iter_custom`:
//!
//! ```
//! use std::hint::black_box;
//! use unibox_testkit::bench::on_cpu_time;
//! // In a bench: group.bench_function("parse_on_cpu", |b| b.iter_custom(|n| on_cpu_time(n, || { ... })));
//! let spent = on_cpu_time(1_000, || {
//!     black_box((0..100u64).sum::<u64>());
//! });
//! assert!(spent.as_nanos() > 0);
//! ```

use std::time::{Duration, Instant};

/// The time the calling thread has run on a CPU, where the platform can tell (Linux).
pub fn thread_cpu_time() -> Option<Duration> {
    #[cfg(target_os = "linux")]
    {
        let now = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
        Some(Duration::new(u64::try_from(now.tv_sec).ok()?, u32::try_from(now.tv_nsec).ok()?))
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// Runs `step` `iterations` times and returns the on-CPU time it took; the wall-clock time
/// where the platform has no thread clock.
pub fn on_cpu_time(iterations: u64, mut step: impl FnMut()) -> Duration {
    let (cpu, wall) = (thread_cpu_time(), Instant::now());
    for _ in 0..iterations {
        step();
    }
    match (cpu, thread_cpu_time()) {
        (Some(before), Some(after)) if after > before => after - before,
        _ => wall.elapsed().max(Duration::from_nanos(1)),
    }
}
