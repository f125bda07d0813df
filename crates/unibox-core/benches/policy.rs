//! Authorization decisions: the role table alone, and the team policy on a conversation with a
//! restricted member (platform scope, team, "assigned or unassigned" visibility) in a tenant of
//! 200 members, 20 teams and 50 channel accounts; plus a member's conversation scope.
//!
//! Run with `cargo bench -p unibox-core --bench policy`.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use unibox_core::policy::{AccountScope, MemberRules, Team, TeamPolicy, TeamRules, Visibility};
use unibox_core::{
    Action, Actor, ChannelAccountId, ChannelKind, ContactId, Conversation, ConversationId, ConversationStatus, Policy,
    Resource, Role, RolePolicy, TenantId, Timestamp, UserId,
};

fn user(n: usize) -> UserId {
    format!("agent-{n:03}").parse().expect("user id")
}

fn bench_policy(c: &mut Criterion) {
    let tenant: TenantId = "acme".parse().expect("tenant");
    let kinds =
        [ChannelKind::LINE, ChannelKind::SHOPEE, ChannelKind::WHATSAPP, ChannelKind::MESSENGER, ChannelKind::LAZADA];
    let accounts: Vec<ChannelAccountId> = (0..50).map(|_| ChannelAccountId::new()).collect();
    let mut rules = TeamRules::default();
    for (i, account) in accounts.iter().enumerate() {
        rules = rules.account(*account, kinds[i % kinds.len()].clone());
    }
    for team in 0..20 {
        let platforms = [kinds[team % kinds.len()].clone(), kinds[(team + 1) % kinds.len()].clone()];
        rules = rules.team(format!("team-{team}"), Team { scope: AccountScope::platforms(platforms) });
    }
    for n in 0..200 {
        let member = MemberRules::new(Role::Agent)
            .scope(AccountScope::platforms([ChannelKind::LINE, ChannelKind::SHOPEE]))
            .visibility(Visibility::AssignedOrUnassigned)
            .team(format!("team-{}", n % 20));
        rules = rules.member(user(n), member);
    }
    let policy = TeamPolicy::new();
    policy.set_rules(&tenant, rules);

    let agent = Actor::user(tenant.clone(), user(100), Role::Agent);
    let conversation = Conversation {
        id: ConversationId::new(),
        tenant: tenant.clone(),
        account: accounts[0],
        contact: ContactId::new(),
        status: ConversationStatus::Open,
        snoozed_until: None,
        assignee: Some(user(100)),
        tags: vec!["vip".into()],
        unread_count: 2,
        last_inbound_at: Some(Timestamp::from_unix_seconds(1_732_170_000)),
        last_activity_at: Timestamp::from_unix_seconds(1_732_170_000),
        created_at: Timestamp::from_unix_seconds(1_732_100_000),
    };
    assert!(policy.authorize(&agent, Action::SendMessage, Resource::Conversation(&conversation)).is_ok());
    let viewer = Actor::user(tenant.clone(), "vic".parse().expect("user"), Role::Viewer);

    let mut group = c.benchmark_group("authorize");
    group.bench_function("role_policy_allowed", |b| {
        b.iter(|| RolePolicy.authorize(black_box(&agent), black_box(Action::SendMessage), Resource::Tenant))
    });
    group.bench_function("team_policy_conversation_allowed", |b| {
        b.iter(|| {
            policy.authorize(black_box(&agent), black_box(Action::SendMessage), Resource::Conversation(&conversation))
        })
    });
    group.bench_function("team_policy_denied", |b| {
        b.iter(|| {
            policy.authorize(black_box(&viewer), black_box(Action::SendMessage), Resource::Conversation(&conversation))
        })
    });
    group.bench_function("team_policy_conversation_scope", |b| b.iter(|| policy.conversation_scope(black_box(&agent))));
    group.finish();
}

criterion_group!(benches, bench_policy);
criterion_main!(benches);
