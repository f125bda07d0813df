//! A sealed inbox stores the blinds of platform message ids in insertion generations (blocks
//! of 4,096, so new index entries land together instead of at random places), and still finds
//! every message by its platform id: after reopening (the generations' filters rebuilt from
//! the file), across a generation boundary, for redeliveries, edits, reactions, and changes
//! that waited for their message. The keys in the file are blinds: no platform id in the clear.

use std::path::Path;

use unibox_core::IdentityKind;
use unibox_core::inbox::prelude::*;
use unibox_core::inbox::{ConversationQuery, RoutedEvent};
use unibox_store_sqlite::SqliteStore;
use unibox_testkit::fixtures::{self, AccountEvents, at};
use unibox_vault::{Keyring, StoreKeys};

mod planted;
use planted::close;

/// Ids per generation (the store's constant; the layout below depends on it).
const GENERATION: usize = 4096;
/// Enough messages to fill generation 0 and start generation 1.
const MESSAGES: u32 = 4096 + 24;

fn keys(entry: &str) -> StoreKeys {
    StoreKeys::try_from(Keyring::parse(entry).expect("a keyring")).expect("store keys")
}

fn platform_id(n: u32) -> String {
    // LINE's message ids: increasing decimal numbers.
    format!("{}", 532_718_894_512_300_000u64 + u64::from(n))
}

fn text(events: &AccountEvents, n: u32) -> RoutedEvent {
    let customer = fixtures::customer(IdentityKind::LineUserId, n % 16);
    events.text(&format!("evt-{n}"), &customer, &platform_id(n), &format!("hello {n}"), at(i64::from(n)))
}

/// One column of every row of `table`, in storage order.
fn column(path: &Path, sql: &str) -> Vec<String> {
    let conn = rusqlite::Connection::open(path).expect("the inbox file");
    let mut statement = conn.prepare(sql).expect("a query");
    statement.query_map([], |row| row.get(0)).expect("rows").collect::<rusqlite::Result<_>>().expect("text")
}

fn count(path: &Path, sql: &str) -> i64 {
    rusqlite::Connection::open(path).expect("the inbox file").query_row(sql, [], |row| row.get(0)).expect("a count")
}

/// Waits for the journal to be applied (a read does).
async fn applied(store: &SqliteStore) {
    let tenant = fixtures::tenant("acme");
    store.inbox().conversations(&tenant, &ConversationQuery::new()).await.unwrap();
}

fn is_hex(key: &str) -> bool {
    key.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn platform_ids_are_stored_by_generation_and_found_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let entry = Keyring::generate_entry(1);
    let account = fixtures::line_account(&fixtures::tenant("acme"));
    let events = AccountEvents::new(&account);

    let store = SqliteStore::open(&path, keys(&entry)).await.unwrap();
    store.inbox().save_account(&account).await.unwrap();
    let all: Vec<u32> = (0..MESSAGES).collect();
    for chunk in all.chunks(512) {
        store.inbox().accept(chunk.iter().map(|&n| text(&events, n)).collect()).await.unwrap();
    }
    // A reaction to a message that has not arrived: it waits, keyed by the id's bare blind.
    let reactor = fixtures::customer(IdentityKind::LineUserId, 3);
    let late = platform_id(MESSAGES + 100);
    store.inbox().accept(vec![events.reaction("evt-r-late", &reactor, &late, Some("👍"), at(9_000))]).await.unwrap();
    applied(&store).await;
    close(store).await;

    let stored = column(&path, "SELECT platform_message_id FROM messages ORDER BY seq");
    assert_eq!(stored.len(), MESSAGES as usize);
    assert!(stored.iter().all(|key| key.len() == 40 && is_hex(key)), "generation (8) + blind (32) hex digits");
    assert!(stored[..GENERATION].iter().all(|key| key.starts_with("00000000")), "the first 4,096 in generation 0");
    assert!(stored[GENERATION..].iter().all(|key| key.starts_with("00000001")), "the rest in generation 1");
    assert!(stored.iter().all(|key| !key.contains("5327188945123")), "no platform id in the clear");
    let waiting = column(&path, "SELECT platform_message_id FROM pending_actions");
    assert_eq!(waiting.len(), 1);
    assert!(waiting[0].len() == 32 && is_hex(&waiting[0]), "a waiting change is keyed by the bare blind");

    // Reopened: the generations' filters are rebuilt from the file.
    let store = SqliteStore::open(&path, keys(&entry)).await.unwrap();
    let inbox = store.inbox();
    let (old, new) = (7, MESSAGES - 3);
    inbox
        .accept(vec![
            // Redeliveries under new event ids (as a platform's retry after a lost response).
            events.text(
                "evt-again-old",
                &fixtures::customer(IdentityKind::LineUserId, 7),
                &platform_id(old),
                "x",
                at(1),
            ),
            events.text(
                "evt-again-new",
                &fixtures::customer(IdentityKind::LineUserId, 1),
                &platform_id(new),
                "y",
                at(2),
            ),
            // Changes naming a message of each generation.
            events.edit(
                "evt-edit",
                &fixtures::customer(IdentityKind::LineUserId, old % 16),
                &platform_id(old),
                "edited",
                at(9_001),
            ),
            events.reaction("evt-react", &reactor, &platform_id(new), Some("❤️"), at(9_002)),
            // The message the waiting reaction named arrives.
            events.text("evt-late", &reactor, &late, "late", at(9_003)),
        ])
        .await
        .unwrap();
    applied(&store).await;
    close(store).await;

    assert_eq!(count(&path, "SELECT count(*) FROM messages"), i64::from(MESSAGES) + 1, "redeliveries are duplicates");
    assert_eq!(count(&path, "SELECT count(*) FROM pending_actions"), 0, "the waiting reaction was applied");
    let edited = column(&path, "SELECT hex(id) FROM messages WHERE edited_at IS NOT NULL");
    let by_seq = column(&path, "SELECT hex(id) FROM messages ORDER BY seq");
    assert_eq!(edited, [by_seq[old as usize].clone()], "the edit found its message in generation 0");
    let reacted = column(&path, "SELECT hex(message) FROM reactions ORDER BY at");
    assert_eq!(
        reacted,
        [by_seq[MESSAGES as usize].clone(), by_seq[new as usize].clone()],
        "the waiting reaction found the late message; the other found its message in generation 1"
    );
    let last = column(&path, "SELECT platform_message_id FROM messages ORDER BY seq DESC LIMIT 1");
    assert!(last[0].starts_with("00000001"), "a message stored after reopening joins the current generation");
}
