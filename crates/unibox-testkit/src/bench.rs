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

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput};
use unibox_core::Channel;
use unibox_core::channel::WebhookRequest;

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

/// The verify + parse benchmark every adapter runs on one realistic delivery: a criterion group
/// named `group` with `verify_parse_600b`, `verify_600b` and `parse_600b`, each on the wall clock
/// and again on the thread's CPU clock (`*_on_cpu`, see [`on_cpu_time`]). It first checks that
/// `request` verifies and parses into exactly one event, so a broken fixture fails loudly.
///
/// ```no_run
/// # fn bench(c: &mut criterion::Criterion, channel: &dyn unibox_core::Channel, request: &unibox_core::channel::WebhookRequest) {
/// unibox_testkit::bench::verify_parse_group(c, "line", channel, request);
/// # }
/// ```
pub fn verify_parse_group(c: &mut Criterion, group: &str, channel: &dyn Channel, request: &WebhookRequest) {
    let verified = channel.verify(request).expect("the bench delivery is authentic");
    assert_eq!(channel.parse(&verified).expect("the bench delivery is well-formed").len(), 1);

    let mut group = c.benchmark_group(group);
    group.throughput(Throughput::Bytes(request.body.len() as u64));
    let verify_parse = || {
        let verified = channel.verify(black_box(request)).expect("authentic");
        black_box(channel.parse(&verified).expect("well-formed"));
    };
    let verify = || {
        black_box(channel.verify(black_box(request)).is_ok());
    };
    let parse = || {
        black_box(channel.parse(black_box(&verified)).expect("well-formed"));
    };
    group.bench_function("verify_parse_600b", |b| b.iter(verify_parse));
    group.bench_function("verify_600b", |b| b.iter(verify));
    group.bench_function("parse_600b", |b| b.iter(parse));
    group.bench_function("verify_parse_600b_on_cpu", |b| b.iter_custom(|n| on_cpu_time(n, verify_parse)));
    group.bench_function("verify_600b_on_cpu", |b| b.iter_custom(|n| on_cpu_time(n, verify)));
    group.bench_function("parse_600b_on_cpu", |b| b.iter_custom(|n| on_cpu_time(n, parse)));
    group.finish();
}
