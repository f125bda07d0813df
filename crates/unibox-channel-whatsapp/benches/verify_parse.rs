//! Verify + parse + normalize of a ~600-byte WhatsApp text message notification.

use criterion::{Criterion, criterion_group, criterion_main};

fn verify_parse(_c: &mut Criterion) {}

criterion_group!(benches, verify_parse);
criterion_main!(benches);
