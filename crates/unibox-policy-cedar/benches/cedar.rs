//! One Cedar decision with the role table: a conversation resource, allowed and denied.
//!
//! Run with `cargo bench -p unibox-policy-cedar --bench cedar`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use unibox_core::{
    Action, Actor, ChannelAccountId, ContactId, Conversation, ConversationId, ConversationStatus, Policy, Resource,
    Role, Timestamp,
};
use unibox_policy_cedar::CedarPolicy;

fn bench_cedar(c: &mut Criterion) {
    let policy = CedarPolicy::role_table().expect("the role table parses");
    let tenant: unibox_core::TenantId = "acme".parse().expect("tenant");
    let agent = Actor::user(tenant.clone(), "nok".parse().expect("user"), Role::Agent);
    let viewer = Actor::user(tenant.clone(), "vic".parse().expect("user"), Role::Viewer);
    let conversation = Conversation {
        id: ConversationId::new(),
        tenant,
        account: ChannelAccountId::new(),
        contact: ContactId::new(),
        status: ConversationStatus::Open,
        snoozed_until: None,
        assignee: Some("nok".parse().expect("user")),
        tags: Vec::new(),
        unread_count: 0,
        last_inbound_at: None,
        last_activity_at: Timestamp::from_unix_seconds(1_732_170_000),
        created_at: Timestamp::from_unix_seconds(1_732_170_000),
    };
    let mut group = c.benchmark_group("cedar_authorize");
    group.bench_function("conversation_allowed", |b| {
        b.iter(|| policy.authorize(black_box(&agent), Action::SendMessage, Resource::Conversation(&conversation)))
    });
    group.bench_function("conversation_denied", |b| {
        b.iter(|| policy.authorize(black_box(&viewer), Action::SendMessage, Resource::Conversation(&conversation)))
    });
    group.finish();
}

criterion_group!(benches, bench_cedar);
criterion_main!(benches);
