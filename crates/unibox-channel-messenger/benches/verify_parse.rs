//! Verify + parse + normalize of a ~600-byte Messenger text message.
//!
//! ```sh
//! cargo bench -p unibox-channel-messenger --bench verify_parse
//! ```
//!
//! Two groups: `messenger` is criterion's usual wall-clock time; `messenger_on_cpu` measures
//! the time the benchmark thread actually ran (`CLOCK_THREAD_CPUTIME_ID` on Linux), which
//! does not count waiting for a core, so it stays meaningful on a loaded, shared machine.
//! Results are recorded in docs/performance.md.

use std::hint::black_box;
use std::time::Instant;

use criterion::measurement::{Measurement, ValueFormatter};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use unibox_channel_messenger::{AppSecret, MessengerChannel};
use unibox_core::Channel;
use unibox_core::channel::WebhookRequest;

/// A customer's text message replying to an earlier one: 575 bytes.
const BODY: &str = r#"{"object":"page","entry":[{"id":"104738291837465","time":1732000000500,"messaging":[{"sender":{"id":"6201234567890123"},"recipient":{"id":"104738291837465"},"timestamp":1732000000123,"message":{"mid":"m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fplwlqLP_5cgXIbu7I3rBN0P","text":"Hello, I ordered the standing desk (order TH-20931) on Monday and the tracking page still says label created. Could you check whether it has left the warehouse? I need it before Friday because I am moving offices.","reply_to":{"mid":"m_1457764197618:41d102a3e1ae206a38"}}}]}]}"#;

/// Time the current thread spent running, in nanoseconds; wall time on other systems.
struct OnCpuTime;

#[cfg(target_os = "linux")]
fn on_cpu_nanos() -> Option<u64> {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Some(u64::try_from(now.tv_sec).ok()? * 1_000_000_000 + u64::try_from(now.tv_nsec).ok()?)
}

#[cfg(not(target_os = "linux"))]
fn on_cpu_nanos() -> Option<u64> {
    None
}

enum Start {
    OnCpu(u64),
    Wall(Instant),
}

impl Measurement for OnCpuTime {
    type Intermediate = Start;
    type Value = u64;

    fn start(&self) -> Start {
        match on_cpu_nanos() {
            Some(nanos) => Start::OnCpu(nanos),
            None => Start::Wall(Instant::now()),
        }
    }

    fn end(&self, start: Start) -> u64 {
        match start {
            Start::OnCpu(then) => on_cpu_nanos().unwrap_or(then).saturating_sub(then),
            Start::Wall(then) => u64::try_from(then.elapsed().as_nanos()).unwrap_or(u64::MAX),
        }
    }

    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }

    fn zero(&self) -> u64 {
        0
    }

    fn to_f64(&self, value: &u64) -> f64 {
        *value as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        &Nanoseconds
    }
}

struct Nanoseconds;

impl ValueFormatter for Nanoseconds {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if typical < 1e3 {
            (1.0, "ns")
        } else if typical < 1e6 {
            (1e-3, "µs")
        } else {
            (1e-6, "ms")
        };
        values.iter_mut().for_each(|v| *v *= factor);
        unit
    }

    fn scale_throughputs(&self, typical: f64, throughput: &Throughput, values: &mut [f64]) -> &'static str {
        let per_iteration = match *throughput {
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) | Throughput::Elements(n) | Throughput::Bits(n) => n,
            Throughput::ElementsAndBytes { elements, .. } => elements,
        } as f64;
        values.iter_mut().for_each(|v| *v = per_iteration * 1e9 / *v / (1024.0 * 1024.0));
        let _ = typical;
        "MiB/s"
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}

fn fixture() -> (MessengerChannel, WebhookRequest) {
    let secret = AppSecret::new("appsecret");
    let channel = match unibox_channel_messenger::builder().app_secret(secret.clone()).verify_token("t").build() {
        Ok(channel) => channel,
        Err(error) => panic!("the bench configuration is valid: {error}"),
    };
    let request = WebhookRequest::post("https://inbox.example.com/webhooks/acme/messenger".parse().expect("URL"), BODY)
        .with_header("content-type", "application/json")
        .with_header("x-hub-signature-256", &secret.signature_header(BODY.as_bytes()));
    (channel, request)
}

fn run<M: Measurement>(c: &mut Criterion<M>, group_name: &str) {
    let (channel, request) = fixture();
    let mut group = c.benchmark_group(group_name);
    group.throughput(Throughput::Bytes(BODY.len() as u64));
    group.bench_function("verify_parse_600b", |b| {
        b.iter(|| {
            let verified = channel.verify(black_box(&request)).expect("authentic");
            black_box(channel.parse(&verified).expect("well-formed"))
        })
    });
    group.bench_function("verify_600b", |b| b.iter(|| black_box(channel.verify(black_box(&request)).is_ok())));
    let verified = channel.verify(&request).expect("authentic");
    group.bench_function("parse_600b", |b| {
        b.iter(|| black_box(channel.parse(black_box(&verified)).expect("well-formed")))
    });
    group.finish();
}

fn wall_clock(c: &mut Criterion) {
    run(c, "messenger");
}

fn on_cpu(c: &mut Criterion<OnCpuTime>) {
    run(c, "messenger_on_cpu");
}

criterion_group!(wall, wall_clock);
criterion_group! {
    name = cpu;
    config = Criterion::default().with_measurement(OnCpuTime);
    targets = on_cpu
}
criterion_main!(wall, cpu);
