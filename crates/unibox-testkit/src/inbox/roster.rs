//! The [`AgentRoster`] conformance checks, with their own runner: a roster is a port of its own.

use std::future::Future;
use std::sync::Arc;

use unibox_core::workflow::{Agent, AgentRoster};
use unibox_core::{ChannelAccountId, ErrorKind};

use super::BoxFuture;
use super::support::{assert_kind, catch_panic, ok};
use crate::fixtures;

/// Makes empty rosters, one per check. Any `Fn() -> impl Future<Output = Arc<dyn AgentRoster>>`
/// closure is one.
pub trait RosterFactory: Send + Sync {
    /// A new, empty roster.
    fn fresh(&self) -> BoxFuture<'_, Arc<dyn AgentRoster>>;
}

impl<F, Fut> RosterFactory for F
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Arc<dyn AgentRoster>> + Send + 'static,
{
    fn fresh(&self) -> BoxFuture<'_, Arc<dyn AgentRoster>> {
        Box::pin(self())
    }
}

type RosterCheck = for<'a> fn(&'a dyn AgentRoster) -> BoxFuture<'a, ()>;

const ROSTER_CHECKS: &[(&str, RosterCheck)] = &[
    ("agents_are_saved_replaced_listed_and_removed", |r| Box::pin(agents_are_saved_replaced_listed_and_removed(r))),
    ("availability_changes_and_unknown_agents_are_not_found", |r| {
        Box::pin(availability_changes_and_unknown_agents_are_not_found(r))
    }),
    ("turns_go_round_and_are_remembered", |r| Box::pin(turns_go_round_and_are_remembered(r))),
    ("rosters_are_per_tenant", |r| Box::pin(rosters_are_per_tenant(r))),
];

/// Runs every roster check on a fresh roster each, and panics naming the ones that failed.
///
/// ```
/// use std::sync::Arc;
/// use unibox_core::memory::MemoryAgentRoster;
/// use unibox_core::workflow::AgentRoster;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// unibox_testkit::inbox::run_roster_checks(&|| async { Arc::new(MemoryAgentRoster::new()) as Arc<dyn AgentRoster> }).await;
/// # });
/// ```
pub async fn run_roster_checks(factory: &dyn RosterFactory) {
    let mut failures = Vec::new();
    for (name, check) in ROSTER_CHECKS {
        let roster = factory.fresh().await;
        if let Err(message) = catch_panic(check(roster.as_ref())).await {
            failures.push(format!("{name}: {message}"));
        }
    }
    if !failures.is_empty() {
        panic!("roster conformance: {} checks failed:\n- {}", failures.len(), failures.join("\n- "));
    }
}

/// Saving adds or replaces (accounts kept sorted and unique), listing is by user id, removing
/// takes the agent off and a second removal is `NotFound`.
pub async fn agents_are_saved_replaced_listed_and_removed(roster: &dyn AgentRoster) {
    let tenant = fixtures::tenant("acme");
    let (line, shopee) = (ChannelAccountId::new(), ChannelAccountId::new());
    let mut expected_accounts = vec![line, shopee];
    expected_accounts.sort();
    ok(roster.save_agent(&tenant, &Agent::new(fixtures::user("malee"), 3)).await, "save");
    let somchai = Agent::new(fixtures::user("somchai"), 5).on_accounts([shopee, line, shopee]);
    ok(roster.save_agent(&tenant, &somchai).await, "save");
    let mut replaced = Agent::new(fixtures::user("malee"), 8);
    replaced.available = false;
    ok(roster.save_agent(&tenant, &replaced).await, "save again");

    let agents = ok(roster.agents(&tenant).await, "agents");
    check_eq!(agents.iter().map(|a| a.user.as_str()).collect::<Vec<_>>(), vec!["malee", "somchai"]);
    check_eq!(agents[0], replaced);
    check_eq!(agents[1].accounts, expected_accounts, "accounts sorted and unique");
    check_eq!(ok(roster.agent(&tenant, &fixtures::user("malee")).await, "agent"), replaced);

    ok(roster.remove_agent(&tenant, &fixtures::user("malee")).await, "remove");
    assert_kind(roster.agent(&tenant, &fixtures::user("malee")).await, ErrorKind::NotFound, "removed agent");
    assert_kind(roster.remove_agent(&tenant, &fixtures::user("malee")).await, ErrorKind::NotFound, "removed twice");
    check_eq!(ok(roster.agents(&tenant).await, "agents").len(), 1);
}

/// Availability changes only the flag; an agent not on the roster is `NotFound`.
pub async fn availability_changes_and_unknown_agents_are_not_found(roster: &dyn AgentRoster) {
    let tenant = fixtures::tenant("acme");
    let agent = Agent::new(fixtures::user("somchai"), 4);
    ok(roster.save_agent(&tenant, &agent).await, "save");
    let away = ok(roster.set_available(&tenant, &agent.user, false).await, "set_available");
    check!(!away.available);
    check_eq!(away.capacity, 4, "only availability changed");
    check!(ok(roster.set_available(&tenant, &agent.user, true).await, "set_available").available);
    let nobody = fixtures::user("nobody");
    assert_kind(roster.set_available(&tenant, &nobody, true).await, ErrorKind::NotFound, "unknown agent");
    assert_kind(roster.agent(&tenant, &nobody).await, ErrorKind::NotFound, "unknown agent");
}

/// Turns go to the next eligible user after the last one, in user id order, wrapping around;
/// nobody eligible gives `None` and keeps the last turn.
pub async fn turns_go_round_and_are_remembered(roster: &dyn AgentRoster) {
    let tenant = fixtures::tenant("acme");
    let users = [fixtures::user("a-ploy"), fixtures::user("b-niran"), fixtures::user("c-wan")];
    let mut turns = Vec::new();
    for _ in 0..4 {
        turns.push(ok(roster.take_turn(&tenant, &users).await, "take_turn").map(|u| u.to_string()));
    }
    check_eq!(turns, vec![Some("a-ploy".into()), Some("b-niran".into()), Some("c-wan".into()), Some("a-ploy".into())]);
    check_eq!(ok(roster.take_turn(&tenant, &[]).await, "take_turn with nobody"), None);
    // b-niran is busy now: the turn after a-ploy skips to c-wan.
    let next = ok(roster.take_turn(&tenant, &[users[0].clone(), users[2].clone()]).await, "take_turn");
    check_eq!(next, Some(users[2].clone()));
}

/// One tenant's agents and turns are invisible to another.
pub async fn rosters_are_per_tenant(roster: &dyn AgentRoster) {
    let (acme, globex) = (fixtures::tenant("acme"), fixtures::tenant("globex"));
    let agent = Agent::new(fixtures::user("somchai"), 4);
    ok(roster.save_agent(&acme, &agent).await, "save");
    check!(ok(roster.agents(&globex).await, "agents").is_empty());
    assert_kind(roster.agent(&globex, &agent.user).await, ErrorKind::NotFound, "foreign agent");
    assert_kind(roster.remove_agent(&globex, &agent.user).await, ErrorKind::NotFound, "foreign removal");
    let users = [fixtures::user("a"), fixtures::user("b")];
    ok(roster.take_turn(&acme, &users).await, "take_turn");
    check_eq!(ok(roster.take_turn(&globex, &users).await, "take_turn"), Some(users[0].clone()), "own rotation");
}
