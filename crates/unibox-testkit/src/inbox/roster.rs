//! The [`AgentRoster`] conformance checks, with their own runner: a roster is a port of its own.
//! And the checks that automatic assignment reserves capacity, over [`Store`].

use std::future::Future;
use std::sync::Arc;

use unibox_core::workflow::{Agent, AgentRoster, AssignmentStrategy};
use unibox_core::{Actor, ChannelAccountId, ConversationId, ErrorKind, IdentityKind, ManualClock};

use super::BoxFuture;
use super::StoreFactory;
use super::analytics::hub_over;
use super::support::{assert_kind, catch_panic, ok};
use crate::fixtures;
use unibox_core::store::Store;

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

type ReservationCheck = fn(Store) -> BoxFuture<'static, ()>;

const RESERVATION_CHECKS: &[(&str, ReservationCheck)] = &[
    ("concurrent_reservations_never_pass_a_capacity", |stores| {
        Box::pin(concurrent_reservations_never_pass_a_capacity(stores))
    }),
    ("concurrent_auto_assignments_never_pass_any_capacity", |stores| {
        Box::pin(concurrent_auto_assignments_never_pass_any_capacity(stores))
    }),
];

/// Runs every reserved-assignment check on fresh stores each (call it from a multi-threaded
/// runtime, so the assignments really race), and panics naming the ones that failed.
///
/// ```no_run
/// use unibox_core::memory::MemoryStore;
/// # tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap().block_on(async {
/// unibox_testkit::inbox::run_reserved_assignment_checks(&|| async { MemoryStore::new().into() }).await;
/// # });
/// ```
pub async fn run_reserved_assignment_checks(factory: &dyn StoreFactory) {
    let mut failures = Vec::new();
    for (name, check) in RESERVATION_CHECKS {
        let stores = factory.fresh().await;
        if let Err(message) = catch_panic(check(stores)).await {
            failures.push(format!("{name}: {message}"));
        }
    }
    if !failures.is_empty() {
        panic!("reserved assignment: {} checks failed:\n- {}", failures.len(), failures.join("\n- "));
    }
}

/// `count` conversations of one customer each on a new LINE account, waiting unassigned.
async fn waiting_conversations(stores: &Store, count: u32) -> (unibox_core::TenantId, Vec<ConversationId>) {
    let tenant = fixtures::tenant("acme");
    let account = fixtures::line_account(&tenant);
    ok(stores.accounts.save_account(&account).await, "save account");
    let events = fixtures::AccountEvents::new(&account);
    let batch = (0..count)
        .map(|n| {
            let customer = fixtures::customer(IdentityKind::LineUserId, n);
            events.text(&format!("e{n}"), &customer, &format!("m{n}"), "hello", fixtures::at(i64::from(n)))
        })
        .collect();
    let outcomes = ok(stores.ingest.ingest(batch).await, "ingest");
    let conversations = outcomes
        .iter()
        .map(|outcome| match outcome {
            unibox_core::inbox::IngestOutcome::Stored { conversation: Some(conversation), .. } => *conversation,
            other => panic!("a customer message makes a conversation, got {other:?}"),
        })
        .collect();
    (tenant, conversations)
}

/// Forty concurrent reservations of one agent with room for three: exactly three get them, the
/// others are told nobody has room, and the agent works three conversations. A conversation
/// already assigned is a `Conflict`.
pub async fn concurrent_reservations_never_pass_a_capacity(stores: Store) {
    let (tenant, conversations) = waiting_conversations(&stores, 40).await;
    let ann = Agent::new(fixtures::user("ann"), 3);
    let mut tasks = Vec::new();
    for conversation in conversations.clone() {
        let (workflow, tenant, ann) = (stores.workflow.clone(), tenant.clone(), ann.clone());
        tasks.push(tokio::spawn(async move {
            workflow.assign_within_capacity(&tenant, conversation, &[ann], fixtures::at(100)).await
        }));
    }
    let mut assigned = Vec::new();
    for task in tasks {
        if let Some(conversation) = ok(task.await.expect("the task ran"), "reserve") {
            assigned.push(conversation);
        }
    }
    check_eq!(assigned.len(), 3, "only the capacity");
    check!(assigned.iter().all(|c| c.assignee.as_ref() == Some(&ann.user)));
    let open = ok(stores.workflow.open_assignments(&tenant).await, "open assignments");
    check_eq!(open.get(&ann.user).copied(), Some(3));
    let taken = assigned[0].id;
    assert_kind(
        stores
            .workflow
            .assign_within_capacity(&tenant, taken, &[Agent::new(fixtures::user("bob"), 5)], fixtures::at(101))
            .await,
        ErrorKind::Conflict,
        "already assigned",
    );
}

/// Sixty conversations auto-assigned all at once, by both strategies, to three agents with room
/// for 2, 3 and 5: every agent ends exactly at capacity (never past it), ten conversations are
/// assigned and fifty wait.
pub async fn concurrent_auto_assignments_never_pass_any_capacity(stores: Store) {
    let (tenant, conversations) = waiting_conversations(&stores, 60).await;
    let agents =
        [("ann", 2), ("bob", 3), ("cat", 5)].map(|(name, capacity)| Agent::new(fixtures::user(name), capacity));
    for agent in &agents {
        ok(stores.roster.save_agent(&tenant, agent).await, "save agent");
    }
    // Every roster call lets the other assignments run, as a remote roster would: round robin
    // asks for its turn between counting and assigning, so the assignments really interleave.
    let interleaving = Store { roster: Arc::new(Interleaving(stores.roster.clone())), ..stores.clone() };
    let hub = hub_over(&interleaving, &ManualClock::new(fixtures::at(1000)));
    let automation = Actor::automation(tenant.clone(), "auto-assign");
    let mut tasks = Vec::new();
    for (n, conversation) in conversations.into_iter().enumerate() {
        let (hub, automation) = (hub.clone(), automation.clone());
        let strategy = if n % 2 == 0 { AssignmentStrategy::LeastOpen } else { AssignmentStrategy::RoundRobin };
        tasks.push(tokio::spawn(async move { hub.auto_assign(&automation, conversation, strategy).await }));
    }
    let mut assigned = 0;
    for task in tasks {
        if ok(task.await.expect("the task ran"), "auto-assign").is_some() {
            assigned += 1;
        }
    }
    check_eq!(assigned, 10, "every slot, and no more");
    let open = ok(stores.workflow.open_assignments(&tenant).await, "open assignments");
    for agent in &agents {
        check_eq!(open.get(&agent.user).copied(), Some(agent.capacity), "{} works exactly their capacity", agent.user);
    }
}

/// A roster that lets other tasks run before each call.
#[derive(Debug)]
struct Interleaving(Arc<dyn AgentRoster>);

#[async_trait::async_trait]
impl AgentRoster for Interleaving {
    async fn save_agent(&self, tenant: &unibox_core::TenantId, agent: &Agent) -> unibox_core::Result<()> {
        tokio::task::yield_now().await;
        self.0.save_agent(tenant, agent).await
    }
    async fn agents(&self, tenant: &unibox_core::TenantId) -> unibox_core::Result<Vec<Agent>> {
        tokio::task::yield_now().await;
        self.0.agents(tenant).await
    }
    async fn agent(&self, tenant: &unibox_core::TenantId, user: &unibox_core::UserId) -> unibox_core::Result<Agent> {
        tokio::task::yield_now().await;
        self.0.agent(tenant, user).await
    }
    async fn remove_agent(
        &self,
        tenant: &unibox_core::TenantId,
        user: &unibox_core::UserId,
    ) -> unibox_core::Result<()> {
        tokio::task::yield_now().await;
        self.0.remove_agent(tenant, user).await
    }
    async fn set_available(
        &self,
        tenant: &unibox_core::TenantId,
        user: &unibox_core::UserId,
        available: bool,
    ) -> unibox_core::Result<Agent> {
        tokio::task::yield_now().await;
        self.0.set_available(tenant, user, available).await
    }
    async fn take_turn(
        &self,
        tenant: &unibox_core::TenantId,
        eligible: &[unibox_core::UserId],
    ) -> unibox_core::Result<Option<unibox_core::UserId>> {
        tokio::task::yield_now().await;
        self.0.take_turn(tenant, eligible).await
    }
}
