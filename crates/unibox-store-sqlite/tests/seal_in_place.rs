//! Sealing a plaintext inbox file in place (`SqliteStore::seal_plaintext_file`): a file written
//! with sealing off, holding a realistic tenant (the testkit's export seed: Thai, Japanese and
//! English messages, an edit, an unsend, reactions, notes, attributes, orders, audit records)
//! and planted personal data (contact names and phones, identities, notes, an order, reactions,
//! a pending edit and reaction, a Meta deletion request and its link), is sealed in place:
//!
//! - a full export of each tenant is byte-identical before and after;
//! - a byte scan of every file (the inbox, its log, the journal and its log) finds the planted
//!   values before and none after;
//! - a sealed open fails before and succeeds after; search finds Thai, Japanese and English;
//!   blind lookups work on what was stored before sealing (a redelivery is a duplicate, an edit
//!   applies, a pending edit and reaction apply when their message arrives, a reaction removal
//!   replaces the old reaction, identities, buyers and deletion links are found);
//! - sealing again is nothing to do; a failure leaves the file plaintext and usable.

use std::path::Path;
use unibox_testkit::scan::{found_in, sqlite_files};

use unibox_core::inbox::prelude::*;
use unibox_core::inbox::{ConversationQuery, IngestOutcome, MessageQuery, SearchQuery};
use unibox_core::orders::OrderStore;
use unibox_core::privacy::DeletionRequestStore;
use unibox_core::privacy::export::{ExportScope, export};
use unibox_core::store::Store;
use unibox_core::{ChannelAccount, ChannelKind, ErrorKind, IdentityKind, PlatformUser, TenantId, TokenSet, TokenStore};
use unibox_store_sqlite::{SqliteOptions, SqliteStore};
use unibox_testkit::fixtures::{self, AccountEvents, at};
use unibox_vault::{Keyring, StoreKeys};

mod planted;
use planted::*;

const PENDING_EDIT: &str = "Actually deliver it to the side door please";

const PLANTED: [&str; 12] =
    [SENTENCE, THAI, JAPANESE, PHONE, NAME, CUSTOMER_ID, NOTE, MESSAGE_ID, PENDING_EDIT, REACTOR, EMOJI, META_USER];

fn keys(entry: &str) -> StoreKeys {
    StoreKeys::try_from(Keyring::parse(entry).expect("a keyring")).expect("store keys")
}

fn plain() -> SqliteOptions {
    SqliteOptions::new().conversation_sealing(false)
}

/// Which planted values occur (as UTF-8 bytes) in any of the store's files.
fn scan(path: &Path) -> Vec<&'static str> {
    let files = sqlite_files(path);
    assert!(files.len() >= 2, "the inbox and its journal exist: {files:?}");
    found_in(&files, &PLANTED)
}

fn acme_account() -> ChannelAccount {
    fixtures::account(&fixtures::tenant("acme"), "line-acme", ChannelKind::LINE, "Uacme00000000000000000000000001")
}

/// The planted tenant: messages in three languages, a pending edit and a pending reaction, a
/// note, a contact's name and phone, an order, reactions, a deletion request and its link.
async fn plant(store: &SqliteStore, account: &ChannelAccount) -> TenantId {
    let tenant = account.tenant.clone();
    let inbox = store.inbox();
    inbox.save_account(account).await.unwrap();
    store.vault().put(&tenant, account.id, TokenSet::new("EAAG-token")).await.unwrap();
    let events = AccountEvents::new(account);
    let reactor = PlatformUser::new(IdentityKind::LineUserId, REACTOR);
    let reply = unibox_core::InboundMessage {
        reply_to: Some(MESSAGE_ID.to_owned()),
        ..unibox_core::InboundMessage::inbound(customer(), "m-reply", unibox_core::Content::text(JAPANESE))
    };
    inbox
        .accept(vec![
            events.text("evt-1", &customer(), MESSAGE_ID, &format!("{SENTENCE}, call me on {PHONE}"), at(1)),
            events.text("evt-2", &customer(), "m-thai", THAI, at(2)),
            events.message("evt-3", reply, at(3)),
            events.reaction("evt-4", &reactor, MESSAGE_ID, Some(EMOJI), at(4)),
            // Waiting for messages that have not arrived.
            events.edit("evt-5", &customer(), "m-later", PENDING_EDIT, at(6)),
            events.reaction("evt-6", &reactor, "m-later", Some(EMOJI), at(6)),
        ])
        .await
        .unwrap();
    add_personal_data(store, &tenant, at(7)).await;
    tenant
}

async fn export_of(store: &SqliteStore, tenant: &TenantId) -> Vec<u8> {
    let store = Store::from(store.clone());
    let mut out = Vec::new();
    export(&store, tenant, &ExportScope::Tenant, at(1_000), &mut out).await.expect("the export is written");
    out
}

async fn found(store: &SqliteStore, tenant: &TenantId, query: &str) -> Vec<String> {
    let page = store.inbox().search(tenant, &SearchQuery::new(query)).await.unwrap();
    page.items.iter().map(|m| m.content.searchable_text().unwrap_or_default().into_owned()).collect()
}

/// What the sealed file holds, as the sealed writers leave it: the mode recorded; no plaintext
/// search index, a blind one; ingested messages as one body, the unsent one with its erased
/// content in plaintext and its ids sealed apart, the edited ones and the outbound ones part by
/// part; every looked-up column a blind (hex), every other sealed column cleared.
fn assert_sealed_layout(path: &Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    let one = |sql: &str| -> i64 { conn.query_row(sql, [], |row| row.get(0)).unwrap() };
    assert_eq!(one("SELECT sealed FROM conversation_sealing"), 1);
    assert_eq!(one("SELECT count(*) FROM message_search"), 0, "the plaintext index is empty");
    assert!(one("SELECT count(*) FROM message_terms") >= 10, "the blind index is written");
    assert_eq!(
        one(
            "SELECT count(*) FROM messages WHERE content <> '' AND NOT (unsent_at IS NOT NULL AND content_sealed IS NULL)"
        ),
        0,
        "no content in plaintext but erased content"
    );
    assert_eq!(one("SELECT count(*) FROM messages WHERE reply_to IS NOT NULL"), 0);
    assert_eq!(
        one("SELECT count(*) FROM messages WHERE body_sealed IS NOT NULL AND edited_at IS NULL AND unsent_at IS NULL"),
        one("SELECT count(*) FROM messages WHERE body_sealed IS NOT NULL")
    );
    assert!(one("SELECT count(*) FROM messages WHERE body_sealed IS NOT NULL") >= 8, "ingested messages as bodies");
    assert_eq!(
        one(
            "SELECT count(*) FROM messages WHERE body_sealed IS NOT NULL AND (content_sealed IS NOT NULL OR reply_to_sealed IS NOT NULL OR platform_message_id_sealed IS NOT NULL)"
        ),
        0,
        "a body or parts, never both"
    );
    assert_eq!(
        one(
            "SELECT count(*) FROM messages WHERE unsent_at IS NOT NULL AND platform_message_id_sealed IS NOT NULL AND content_sealed IS NULL"
        ),
        1,
        "the unsent message"
    );
    assert_eq!(
        one(
            "SELECT count(*) FROM messages WHERE edited_at IS NOT NULL AND content_sealed IS NOT NULL AND platform_message_id_sealed IS NOT NULL"
        ),
        1,
        "the edited message"
    );
    let blind = "length(%) = 32 AND % NOT GLOB '*[^0-9a-f]*'";
    for (table, column) in [
        ("messages WHERE platform_message_id IS NOT NULL", "platform_message_id"),
        ("contact_identities", "value"),
        ("pending_actions", "platform_message_id"),
        ("pending_actions WHERE author IS NOT NULL", "author"),
        ("orders WHERE buyer_id IS NOT NULL", "buyer_id"),
        ("reactions", "reactor"),
        ("privacy_user_links", "platform_user_id"),
    ] {
        let condition = blind.replace('%', column);
        let total = one(&format!("SELECT count(*) FROM {table}"));
        let (from, filter) = table.split_once(" WHERE ").map_or((table, "1".to_owned()), |(t, f)| (t, f.to_owned()));
        let blinds = one(&format!("SELECT count(*) FROM {from} WHERE ({filter}) AND {condition}"));
        assert!(total > 0 && blinds == total, "{table}.{column}: {blinds} of {total} are blinds");
    }
    for (sql, what) in [
        ("SELECT count(*) FROM contacts WHERE display_name IS NOT NULL", "contact names"),
        ("SELECT count(*) FROM contact_attributes WHERE value <> '' OR value_sealed IS NULL", "attributes"),
        ("SELECT count(*) FROM notes WHERE body <> '' OR body_sealed IS NULL", "notes"),
        ("SELECT count(*) FROM events WHERE payload IS NOT NULL", "event payloads"),
        ("SELECT count(*) FROM orders WHERE body <> '' OR body_sealed IS NULL", "orders"),
        ("SELECT count(*) FROM reactions WHERE emoji IS NOT NULL OR reactor_sealed IS NULL", "reactions"),
        ("SELECT count(*) FROM privacy_requests WHERE platform_user_id <> ''", "deletion requests"),
        ("SELECT count(*) FROM pending_actions WHERE payload_sealed IS NULL", "pending changes"),
    ] {
        assert_eq!(one(sql), 0, "{what} in plaintext");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plaintext_file_is_sealed_in_place_and_reads_exports_and_works_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let entry = Keyring::generate_entry(1);
    let store = SqliteStore::open_with(&path, plain(), keys(&entry)).await.unwrap();
    let seeded = unibox_testkit::export::seed(&Store::from(store.clone())).await;
    let account = acme_account();
    let acme = plant(&store, &account).await;
    let tenants = [seeded.tenant.clone(), seeded.other.clone(), acme.clone()];
    let mut before = Vec::new();
    for tenant in &tenants {
        before.push(export_of(&store, tenant).await);
    }
    assert!(String::from_utf8_lossy(&before[2]).contains(SENTENCE), "the export carries the planted data");
    close(store).await;
    let found_before = scan(&path);
    for planted in PLANTED {
        assert!(found_before.contains(&planted), "{planted} is in the plaintext file: {found_before:?}");
    }

    let refused = SqliteStore::open(&path, keys(&entry)).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Configuration);
    assert!(refused.to_string().contains("seal_plaintext_file"), "the error names the way: {refused}");
    assert!(refused.to_string().contains("unibox-store seal"), "{refused}");

    let report = SqliteStore::seal_plaintext_file(&path, keys(&entry), SqliteOptions::new()).await.unwrap();
    assert!(!report.nothing_to_do(), "{report:?}");
    assert_eq!(report.tenants, 3, "{report:?}");
    assert!(report.rows > 30 && report.indexed_messages >= 10 && report.scrubbed, "{report:?}");
    assert_eq!(scan(&path), Vec::<&str>::new(), "no planted value left in any file");
    assert_sealed_layout(&path);

    let again = SqliteStore::seal_plaintext_file(&path, keys(&entry), SqliteOptions::new()).await.unwrap();
    assert!(again.nothing_to_do() && again.rows == 0 && !again.scrubbed, "{again:?}");

    let store = SqliteStore::open(&path, keys(&entry)).await.unwrap();
    assert!(store.inbox().seals_conversations());
    for (tenant, before) in tenants.iter().zip(&before) {
        let after = export_of(&store, tenant).await;
        assert!(
            after == *before,
            "the export of {tenant} changed:\n{}\n---\n{}",
            String::from_utf8_lossy(before),
            String::from_utf8_lossy(&after)
        );
    }

    // Search, through the blind index only.
    assert_eq!(found(&store, &acme, "คอนโดริมน้ำ").await, [THAI]);
    assert_eq!(found(&store, &acme, "品川の倉庫").await, [JAPANESE]);
    assert_eq!(found(&store, &acme, "parcel Sukhumvit").await.len(), 1);
    assert_eq!(found(&store, &seeded.tenant, "เสื้อสีแดง").await.len(), 1, "the seeded Thai message");
    assert_eq!(found(&store, &seeded.tenant, "注文の確認").await.len(), 1, "the seeded, edited Japanese message");
    assert_eq!(found(&store, &seeded.tenant, "kettle").await.len(), 1);
    assert!(found(&store, &seeded.other, "kettle").await.is_empty(), "nothing of another tenant");

    // Lookups by blind of what was stored before sealing.
    let inbox = store.inbox();
    let events = AccountEvents::new(&account);
    let redelivered = events.text("evt-1", &customer(), MESSAGE_ID, "again", at(1));
    assert_eq!(inbox.ingest(vec![redelivered]).await.unwrap(), [IngestOutcome::Duplicate], "the same event");
    let same_message = events.text("evt-1-again", &customer(), MESSAGE_ID, "again", at(1));
    assert_eq!(inbox.ingest(vec![same_message]).await.unwrap(), [IngestOutcome::Duplicate], "the same message id");
    let edit = events.edit("evt-edit", &customer(), "m-thai", "แก้ไขที่อยู่แล้วค่ะ", at(20));
    let later = events.text("evt-later", &customer(), "m-later", "original text", at(5));
    let reactor = PlatformUser::new(IdentityKind::LineUserId, REACTOR);
    let removal = events.reaction("evt-unreact", &reactor, MESSAGE_ID, None, at(21));
    inbox.accept(vec![edit, later, removal]).await.unwrap();
    assert_eq!(found(&store, &acme, "แก้ไขที่อยู่").await.len(), 1, "the edit of a message stored before applied");
    assert!(found(&store, &acme, "คอนโดริมน้ำ").await.is_empty(), "the edited text left the index");
    assert_eq!(found(&store, &acme, "side door").await, [PENDING_EDIT], "the pending edit applied on arrival");
    let conversation = inbox.conversations(&acme, &ConversationQuery::new()).await.unwrap().items.remove(0);
    let messages = inbox.messages(&acme, conversation.id, &MessageQuery::new()).await.unwrap().items;
    assert_eq!(messages.len(), 4, "{messages:?}");
    let by_id = |id: &str| messages.iter().find(|m| m.platform_message_id.as_deref() == Some(id)).expect(id);
    assert!(by_id(MESSAGE_ID).reactions.is_empty(), "the removal replaced the reaction stored before sealing");
    let reactions: Vec<(&str, &str)> =
        by_id("m-later").reactions.iter().map(|r| (r.by.as_str(), r.emoji.as_str())).collect();
    assert_eq!(reactions, [(REACTOR, EMOJI)], "the pending reaction applied on arrival");
    assert_eq!(by_id("m-reply").reply_to.as_deref(), Some(MESSAGE_ID));
    let contact = inbox.contact(&acme, conversation.contact).await.unwrap();
    assert_eq!(contact.display_name.as_deref(), Some(NAME));
    let identity = contact.identities[0].clone();
    assert_eq!(identity.value, CUSTOMER_ID);
    assert_eq!(inbox.contact_by_identity(&acme, &identity).await.unwrap().map(|c| c.id), Some(contact.id));
    let orders = inbox.orders_of_buyers(&acme, &[identity], 10).await.unwrap();
    assert_eq!(orders.len(), 1, "found by the buyer's blind");
    assert_eq!(inbox.linked_contacts(&acme, "meta", META_USER).await.unwrap(), [contact.id]);
    assert_eq!(inbox.get(&acme, "5ea1ed0c0de").await.unwrap().unwrap().platform_user_id, META_USER);
    let profile = inbox.contact_profile(&acme, conversation.contact).await.unwrap();
    assert_eq!(profile.attributes.get("phone").map(String::as_str), Some(PHONE));
    close(store).await;
    assert_eq!(scan(&path), Vec::<&str>::new(), "still nothing in plaintext after working on the sealed file");
}

/// Events waiting in the journal are applied before sealing (and sealed with the rest).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_waiting_in_the_journal_are_applied_then_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let entry = Keyring::generate_entry(1);
    let store = SqliteStore::open_with(&path, plain(), keys(&entry)).await.unwrap();
    let account = acme_account();
    let tenant = plant(&store, &account).await;
    close(store).await;
    // What a crash right after acknowledging leaves: an accepted event in the journal only.
    let waiting = AccountEvents::new(&account).text("evt-crash", &customer(), "m-crash", THAI, at(30));
    let journal = rusqlite::Connection::open(dir.path().join("inbox.db.inbound")).unwrap();
    journal
        .execute(
            "INSERT INTO inbound (tenant, account, event_id, received_at, event) VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![
                waiting.tenant.as_str(),
                waiting.account.as_bytes(),
                waiting.event.id,
                waiting.received_at.as_unix_millis(),
                serde_json::to_string(&waiting.event).unwrap()
            ],
        )
        .unwrap();
    drop(journal);
    assert!(scan(&path).contains(&THAI));

    let report = SqliteStore::seal_plaintext_file(&path, keys(&entry), SqliteOptions::new()).await.unwrap();
    assert_eq!((report.tenants, report.applied_journal_events), (1, 1), "{report:?}");
    assert_eq!(scan(&path), Vec::<&str>::new());
    let store = SqliteStore::open(&path, keys(&entry)).await.unwrap();
    assert_eq!(found(&store, &tenant, "Sukhumvit").await.len(), 1);
    assert_eq!(found(&store, &tenant, "คอนโดริมน้ำ").await.len(), 2, "the waiting event was applied and sealed");
    close(store).await;
}

/// Keys that cannot open the file's data keys: sealing fails, and the file stays plaintext
/// and usable (nothing half-sealed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_sealing_leaves_the_file_plaintext_and_usable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let entry = Keyring::generate_entry(1);
    let store = SqliteStore::open_with(&path, plain(), keys(&entry)).await.unwrap();
    let tenant = plant(&store, &acme_account()).await;
    let before = export_of(&store, &tenant).await;
    close(store).await;

    let wrong = Keyring::generate_entry(1);
    let failed = SqliteStore::seal_plaintext_file(&path, keys(&wrong), SqliteOptions::new()).await.unwrap_err();
    assert!(!failed.to_string().contains(&wrong), "no key material in the error: {failed}");
    assert!(scan(&path).contains(&SENTENCE), "still plaintext");
    let store = SqliteStore::open_with(&path, plain(), keys(&entry)).await.unwrap();
    assert_eq!(export_of(&store, &tenant).await, before, "unchanged and usable");
    close(store).await;

    assert!(
        !SqliteStore::seal_plaintext_file(&path, keys(&entry), SqliteOptions::new()).await.unwrap().nothing_to_do()
    );
    assert_eq!(scan(&path), Vec::<&str>::new());
}

/// Another store using the file while it is sealed: sealing fails (the store lock is held)
/// instead of sealing under it, and the file stays plaintext.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_in_use_is_not_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let entry = Keyring::generate_entry(1);
    let store = SqliteStore::open_with(&path, plain(), keys(&entry)).await.unwrap();
    let tenant = plant(&store, &acme_account()).await;
    // A read, so the running store holds its connections open on the file.
    assert_eq!(found(&store, &tenant, "Sukhumvit").await.len(), 1);
    let options = SqliteOptions::new().busy_timeout(std::time::Duration::from_millis(200));
    let failed = SqliteStore::seal_plaintext_file(&path, keys(&entry), options).await.unwrap_err();
    assert_eq!(failed.kind(), ErrorKind::Configuration, "{failed}");
    assert!(failed.to_string().contains("already open by another store"), "{failed}");
    assert_eq!(found(&store, &tenant, "Sukhumvit").await.len(), 1, "the running store still works");
    close(store).await;
    assert!(scan(&path).contains(&SENTENCE), "still plaintext");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_file_is_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.db");
    let entry = Keyring::generate_entry(1);
    let error = SqliteStore::seal_plaintext_file(&missing, keys(&entry), SqliteOptions::new()).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound);
    assert!(!missing.exists(), "nothing was created");
}
