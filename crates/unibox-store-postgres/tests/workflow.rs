//! The team workflow on PostgreSQL beyond the testkit: assignment within capacity holds across
//! two pools (two processes), and notes, contact names and attributes are sealed at rest.

use std::time::Duration;

use tokio_postgres::NoTls;
use unibox_core::inbox::{ChannelAccounts, EventIngest, InboxReads, IngestOutcome, TeamWorkflow};
use unibox_core::workflow::{Agent, ContactUpdate};
use unibox_core::{ConversationId, IdentityKind, InternalNote, NoteId, PlatformUser, Timestamp};
use unibox_store_postgres::PostgresStore;
use unibox_store_postgres::testing::TestDatabase;
use unibox_testkit::fixtures::{self, AccountEvents};
use unibox_vault::{Keyring, StoreKeys};

async fn two_stores(database: &TestDatabase) -> (PostgresStore, PostgresStore) {
    let entry = Keyring::generate_entry(1);
    let keys = || StoreKeys::try_from(Keyring::parse(&entry).unwrap()).unwrap();
    let first = PostgresStore::connect(&database.app_options(), keys()).await.unwrap();
    let second = PostgresStore::connect(&database.app_options(), keys()).await.unwrap();
    (first, second)
}

/// `count` conversations of the tenant "acme", one customer each.
async fn conversations(store: &PostgresStore, count: usize) -> Vec<ConversationId> {
    let tenant = fixtures::tenant("acme");
    let account = fixtures::line_account(&tenant);
    store.inbox().save_account(&account).await.unwrap();
    let events = AccountEvents::new(&account);
    let mut ids = Vec::new();
    for n in 0..count {
        let customer = PlatformUser::new(IdentityKind::LineUserId, format!("U{n:032}")).with_name("Somchai");
        let event = events.text(&format!("e-{n}"), &customer, &format!("m-{n}"), "hello", fixtures::at(n as i64));
        match store.inbox().ingest(vec![event]).await.unwrap()[..] {
            [IngestOutcome::Stored { conversation: Some(conversation), .. }] => ids.push(conversation),
            ref other => panic!("the first message stores a conversation: {other:?}"),
        }
    }
    ids
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn assignment_within_capacity_holds_across_two_pools() {
    let Some(database) = TestDatabase::create("assignment_within_capacity_across_pools").await else { return };
    let (first, second) = two_stores(&database).await;
    let ids = conversations(&first, 12).await;
    let tenant = fixtures::tenant("acme");
    let agents = vec![Agent::new(fixtures::user("agent-1"), 3), Agent::new(fixtures::user("agent-2"), 2)];
    let mut tasks = Vec::new();
    for (n, id) in ids.iter().copied().enumerate() {
        let store = if n % 2 == 0 { first.clone() } else { second.clone() };
        let (tenant, agents) = (tenant.clone(), agents.clone());
        tasks.push(tokio::spawn(async move {
            store.inbox().assign_within_capacity(&tenant, id, &agents, Timestamp::now()).await.unwrap()
        }));
    }
    let mut assigned = 0;
    for task in tasks {
        if task.await.unwrap().is_some() {
            assigned += 1;
        }
    }
    assert_eq!(assigned, 5, "exactly the capacity of both agents was filled");
    let open = second.inbox().open_assignments(&tenant).await.unwrap();
    assert_eq!(open.get(&fixtures::user("agent-1")), Some(&3));
    assert_eq!(open.get(&fixtures::user("agent-2")), Some(&2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notes_names_and_attributes_are_sealed_at_rest() {
    let Some(database) = TestDatabase::create("notes_names_and_attributes_are_sealed").await else { return };
    let (store, other_pool) = two_stores(&database).await;
    let conversation = conversations(&store, 1).await[0];
    let tenant = fixtures::tenant("acme");
    let note = InternalNote {
        id: NoteId::new(),
        tenant: tenant.clone(),
        conversation,
        author: fixtures::user("agent-1"),
        body: "Customer phone 0812345678, VIP".into(),
        created_at: fixtures::at(60),
    };
    store.inbox().add_note(&note).await.unwrap();
    let contact = store.inbox().conversation(&tenant, conversation).await.unwrap().contact;
    let update = ContactUpdate::new().display_name("Khun Somsri Wongsawat").attribute("email", "somsri@example.co.th");
    store.inbox().update_contact(&tenant, contact, &update).await.unwrap();
    // The other pool (another process) reads them back.
    let profile = other_pool.inbox().contact_profile(&tenant, contact).await.unwrap();
    assert_eq!(profile.contact.display_name.as_deref(), Some("Khun Somsri Wongsawat"));
    assert_eq!(profile.attributes.get("email").map(String::as_str), Some("somsri@example.co.th"));

    let (client, connection) = tokio_postgres::connect(&database.admin_url(), NoTls).await.unwrap();
    let driver = tokio::spawn(connection);
    let mut stored: Vec<u8> = Vec::new();
    for table in ["notes", "contacts", "contact_attributes"] {
        let sql = format!("SELECT t::TEXT FROM {table} t");
        let rows = tokio::time::timeout(Duration::from_secs(30), client.query(&sql, &[])).await.unwrap().unwrap();
        assert!(!rows.is_empty(), "{table} has rows");
        for row in rows {
            stored.extend_from_slice(row.get::<_, &str>(0).as_bytes());
        }
    }
    let stored = String::from_utf8_lossy(&stored);
    for secret in ["0812345678", "VIP", "Somsri", "somsri@example", "Somchai"] {
        assert!(!stored.contains(secret), "{secret:?} is stored in the clear");
    }
    drop(client);
    let _ = driver.await;
}
