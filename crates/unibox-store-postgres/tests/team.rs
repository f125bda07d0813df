//! The team ports on PostgreSQL: the agent roster, sessions, deletion requests, usage metering
//! and message credits, each through its testkit suite, plus what only a shared database shows
//! (sessions found across tenants, turns and debits from two pools).

use std::sync::{Arc, Mutex};

use unibox_core::metering::{CreditChange, CreditLedger};
use unibox_core::privacy::{DeletionRequest, DeletionRequestStore, DeletionStatus, PrivacyRequestKind};
use unibox_core::session::{SecondFactor, Session, SessionId, SessionStore, TokenHash};
use unibox_core::workflow::{Agent, AgentRoster};
use unibox_core::{ContactId, ErrorKind, Role, TenantId, Timestamp, UserId};
use unibox_store_postgres::testing::TestDatabase;
use unibox_store_postgres::{PostgresInbox, PostgresStore};

fn tenant(name: &str) -> TenantId {
    name.parse().unwrap()
}

fn user(name: &str) -> UserId {
    name.parse().unwrap()
}

async fn connect(database: &TestDatabase) -> Arc<PostgresInbox> {
    Arc::new(PostgresInbox::connect(&database.app_options()).await.unwrap())
}

/// Every roster check on a fresh database of its own (the checks reuse tenant names).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_roster_passes_the_testkit_roster_checks() {
    if TestDatabase::create("the_roster_passes_the_testkit_roster_checks").await.is_none() {
        return;
    }
    let databases: Arc<Mutex<Vec<TestDatabase>>> = Arc::default();
    let factory = || {
        let databases = databases.clone();
        async move {
            let database = TestDatabase::create("roster_check").await.expect("PostgreSQL answered a moment ago");
            let inbox = connect(&database).await;
            databases.lock().unwrap().push(database);
            inbox as Arc<dyn AgentRoster>
        }
    };
    unibox_testkit::inbox::run_roster_checks(&factory).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_pass_the_testkit_sessions_suite() {
    let Some(database) = TestDatabase::create("sessions_pass_the_testkit_sessions_suite").await else { return };
    unibox_testkit::sessions::run_all(connect(&database).await.as_ref()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_meter_passes_the_testkit_metering_suite() {
    let Some(database) = TestDatabase::create("the_meter_passes_the_testkit_metering_suite").await else { return };
    unibox_testkit::metering::run_all(connect(&database).await.as_ref()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ledger_passes_the_testkit_credits_suite() {
    let Some(database) = TestDatabase::create("the_ledger_passes_the_testkit_credits_suite").await else { return };
    unibox_testkit::credits::run_all(connect(&database).await.as_ref()).await;
}

fn session(tenant: &TenantId, user: &UserId, created: i64, idle: i64, expires: i64) -> (Session, TokenHash) {
    let session = Session {
        id: SessionId::new(),
        tenant: tenant.clone(),
        user: user.clone(),
        role: Role::Agent,
        created_at: Timestamp::from_unix_seconds(created),
        last_active_at: Timestamp::from_unix_seconds(created),
        idle_expires_at: Timestamp::from_unix_seconds(idle),
        expires_at: Timestamp::from_unix_seconds(expires),
        second_factor: SecondFactor::NotRequired,
    };
    let mut hash = [0u8; 32];
    hash[..16].copy_from_slice(session.id.as_bytes());
    (session, TokenHash(hash))
}

/// A session is found by its token whatever its tenant (through the owner's function), the
/// expired sessions of every tenant are removed at once, and a tenant-scoped call never touches
/// another tenant's session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_found_by_token_across_tenants_and_expire_across_tenants() {
    let Some(database) =
        TestDatabase::create("sessions_are_found_by_token_across_tenants_and_expire_across_tenants").await
    else {
        return;
    };
    let (one, other) = (connect(&database).await, connect(&database).await);
    let (acme, globex) = (tenant("acme"), tenant("globex"));
    let (live, live_token) = session(&acme, &user("ann"), 100, 10_000, 20_000);
    let (stale, stale_token) = session(&globex, &user("bob"), 100, 500, 20_000);
    let (old, old_token) = session(&acme, &user("cat"), 100, 10_000, 900);
    for (session, token) in [(&live, &live_token), (&stale, &stale_token), (&old, &old_token)] {
        one.insert(session, token).await.unwrap();
    }
    assert_eq!(other.find(&live_token).await.unwrap().as_ref(), Some(&live));
    assert_eq!(other.find(&stale_token).await.unwrap().as_ref(), Some(&stale));
    assert_eq!(other.find(&TokenHash([9; 32])).await.unwrap(), None);
    assert!(!other.remove(&acme, stale.id).await.unwrap(), "acme cannot remove globex's session");
    let mut foreign = stale.clone();
    foreign.tenant = acme.clone();
    assert_eq!(other.update(&foreign).await.unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(other.remove_user(&acme, &user("bob")).await.unwrap(), 0);
    assert_eq!(other.remove_expired(Timestamp::from_unix_seconds(1_000)).await.unwrap(), 2);
    assert_eq!(one.find(&stale_token).await.unwrap(), None);
    assert_eq!(one.find(&old_token).await.unwrap(), None);
    assert_eq!(one.list(&acme, None).await.unwrap(), vec![live]);
    assert!(one.list(&globex, None).await.unwrap().is_empty());
}

/// A store over `database` (the inbox with its keys attached) under the keyring entry `keys`.
async fn sealed(database: &TestDatabase, keys: &str) -> PostgresStore {
    let keys = unibox_vault::StoreKeys::try_from(unibox_vault::Keyring::parse(keys).unwrap()).unwrap();
    PostgresStore::connect(&database.app_options(), keys).await.unwrap()
}

fn request(tenant: &TenantId, code: &str, at: i64, contacts: Vec<ContactId>) -> DeletionRequest {
    DeletionRequest {
        tenant: tenant.clone(),
        confirmation_code: code.into(),
        kind: PrivacyRequestKind::DataDeletion,
        platform: "meta".into(),
        platform_user_id: "1234567890".into(),
        contacts,
        status: DeletionStatus::Received,
        requested_at: Timestamp::from_unix_seconds(at),
        updated_at: Timestamp::from_unix_seconds(at),
    }
}

/// Deletion requests and platform-user links, as the SQLite store's test: links listed in the
/// order made and once, requests opened once, pending oldest first, statuses changed, each
/// tenant seeing only its own; and they outlive the pool that wrote them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_requests_and_links_are_stored_per_tenant() {
    let Some(database) = TestDatabase::create("deletion_requests_and_links_are_stored_per_tenant").await else {
        return;
    };
    let (acme, globex) = (tenant("acme"), tenant("globex"));
    let (first, second) = (ContactId::new(), ContactId::new());
    // One keyring for both stores: the platform user ids are sealed under the tenant's data key.
    let keys = unibox_vault::Keyring::generate_entry(1);
    {
        let store = sealed(&database, &keys).await;
        let inbox = store.inbox();
        inbox.link_platform_user(&acme, "meta", "1234567890", first).await.unwrap();
        inbox.link_platform_user(&acme, "meta", "1234567890", second).await.unwrap();
        inbox.link_platform_user(&acme, "meta", "1234567890", first).await.unwrap();
        let contacts = inbox.linked_contacts(&acme, "meta", "1234567890").await.unwrap();
        assert_eq!(contacts, [first, second]);
        assert!(inbox.linked_contacts(&globex, "meta", "1234567890").await.unwrap().is_empty());

        let opened = inbox.open(request(&acme, "c0de01", 1_700_000_000, contacts)).await.unwrap();
        assert_eq!(opened.contacts, [first, second]);
        let again = inbox.open(request(&acme, "c0de01", 1_700_009_999, vec![])).await.unwrap();
        assert_eq!(again, opened, "opening the same code again returns the stored request unchanged");
        inbox.open(request(&acme, "c0de02", 1_699_000_000, vec![])).await.unwrap();
    }
    let store = sealed(&database, &keys).await;
    let inbox = store.inbox();
    let codes = |requests: Vec<DeletionRequest>| requests.into_iter().map(|r| r.confirmation_code).collect::<Vec<_>>();
    assert_eq!(codes(inbox.pending(&acme).await.unwrap()), ["c0de02", "c0de01"], "oldest first");
    assert!(inbox.get(&globex, "c0de01").await.unwrap().is_none(), "another tenant sees nothing");
    assert!(inbox.pending(&globex).await.unwrap().is_empty());

    let failed = DeletionStatus::Failed { reason: "the contact store was unavailable".into() };
    let updated =
        inbox.set_status(&acme, "c0de01", failed.clone(), Timestamp::from_unix_seconds(1_700_000_500)).await.unwrap();
    assert_eq!((updated.status, updated.updated_at), (failed, Timestamp::from_unix_seconds(1_700_000_500)));
    inbox
        .set_status(&acme, "c0de01", DeletionStatus::Completed, Timestamp::from_unix_seconds(1_700_001_000))
        .await
        .unwrap();
    assert_eq!(codes(inbox.pending(&acme).await.unwrap()), ["c0de02"]);
    assert_eq!(inbox.get(&acme, "c0de01").await.unwrap().unwrap().status, DeletionStatus::Completed);
    let missing = inbox
        .set_status(&globex, "c0de01", DeletionStatus::Completed, Timestamp::from_unix_seconds(1))
        .await
        .unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
}

/// Debits from two pools (two processes) at once never overdraw: exactly the credits bought are
/// spent, and the ledger is numbered without gaps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn debits_from_two_pools_never_overdraw() {
    let Some(database) = TestDatabase::create("debits_from_two_pools_never_overdraw").await else { return };
    let pools = [connect(&database).await, connect(&database).await];
    let acme = tenant("acme");
    let at = Timestamp::from_unix_seconds(1_700_000_000);
    pools[0].append(CreditChange::purchase(acme.clone(), 15, at)).await.unwrap();
    let mut tasks = Vec::new();
    for n in 0..40 {
        let (ledger, acme) = (pools[n % 2].clone(), acme.clone());
        tasks.push(tokio::spawn(async move { ledger.append(CreditChange::debit(acme, 1, at).no_lower_than(0)).await }));
    }
    let mut spent = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => spent += 1,
            Err(error) => assert_eq!(error.kind(), ErrorKind::CreditsExhausted, "{error}"),
        }
    }
    assert_eq!(spent, 15);
    assert_eq!(pools[1].balance(&acme).await.unwrap(), 0);
    let entries = pools[1].entries(&acme, 0, 100).await.unwrap();
    assert_eq!(entries.iter().map(|e| e.sequence).collect::<Vec<_>>(), (1..=16).collect::<Vec<_>>());
    assert!(entries.iter().all(|e| e.balance >= 0));
}

/// The ledger is append-only in the database itself: even the application role cannot change
/// or delete an entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credit_entries_cannot_be_changed_or_deleted() {
    let Some(database) = TestDatabase::create("credit_entries_cannot_be_changed_or_deleted").await else { return };
    let inbox = connect(&database).await;
    let acme = tenant("acme");
    inbox.append(CreditChange::purchase(acme.clone(), 5, Timestamp::from_unix_seconds(1))).await.unwrap();
    let config: tokio_postgres::Config = database.app_url().parse().unwrap();
    let (client, connection) = config.connect(tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(connection);
    client.batch_execute("SELECT set_config('unibox.tenant', 'acme', false)").await.unwrap();
    for sql in ["UPDATE credit_entries SET amount = 500", "DELETE FROM credit_entries"] {
        let error = client.batch_execute(sql).await.unwrap_err();
        assert!(error.as_db_error().is_some_and(|db| db.message().contains("append-only")), "{sql}: {error}");
    }
    assert_eq!(inbox.balance(&acme).await.unwrap(), 5);
}

/// Turns taken from two pools at once go round: with three eligible agents and thirty turns,
/// each agent gets exactly ten.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn turns_from_two_pools_go_round() {
    let Some(database) = TestDatabase::create("turns_from_two_pools_go_round").await else { return };
    let pools = [connect(&database).await, connect(&database).await];
    let acme = tenant("acme");
    let eligible = vec![user("ann"), user("bob"), user("cat")];
    for name in &eligible {
        let agent = Agent { user: name.clone(), available: true, capacity: 5, accounts: Vec::new() };
        pools[0].save_agent(&acme, &agent).await.unwrap();
    }
    let mut tasks = Vec::new();
    for n in 0..30 {
        let (roster, acme, eligible) = (pools[n % 2].clone(), acme.clone(), eligible.clone());
        tasks.push(tokio::spawn(async move { roster.take_turn(&acme, &eligible).await.unwrap().unwrap() }));
    }
    let mut counts = std::collections::BTreeMap::new();
    for task in tasks {
        *counts.entry(task.await.unwrap()).or_insert(0) += 1;
    }
    assert_eq!(counts.values().copied().collect::<Vec<_>>(), vec![10, 10, 10], "{counts:?}");
    assert!(pools[1].take_turn(&tenant("globex"), &[]).await.unwrap().is_none());
}
