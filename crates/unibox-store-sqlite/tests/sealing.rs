//! Conversation data sealed at rest: byte scans of every file the store writes find no planted
//! personal data with sealing on (and do find it with sealing off, so the scan is real), search
//! finds Thai, Japanese and English words in sealed messages and nothing of another tenant's,
//! a shredded tenant's data no longer opens, and either cipher opens the other's values.
//! The planted values include the platform user id a Meta data-deletion request names.

use std::path::Path;
use unibox_testkit::scan::{found_in, sqlite_files};

use unibox_core::inbox::prelude::*;
use unibox_core::inbox::{ConversationQuery, MessageQuery, SearchQuery};
use unibox_core::orders::OrderStore;
use unibox_core::privacy::DeletionRequestStore;
use unibox_core::{ChannelAccount, ErrorKind, IdentityKind, PlatformUser, TenantId, TokenSet, TokenStore};
use unibox_store_sqlite::{SqliteOptions, SqliteStore};
use unibox_testkit::fixtures::{self, AccountEvents, at};
use unibox_vault::{Cipher, Keyring, StoreKeys};

mod planted;
use planted::*;

const TOKEN: &str = "EAAG-planted-access-token-91c2";

fn keys(entry: &str, cipher: Cipher) -> StoreKeys {
    StoreKeys::try_from(Keyring::parse(entry).expect("a keyring")).expect("store keys").with_cipher(cipher)
}

/// Which planted values occur (as UTF-8 bytes) in any of the store's files.
fn scan(path: &Path) -> Vec<&'static str> {
    let files = sqlite_files(path);
    assert!(files.len() >= 2, "the inbox and its journal exist: {files:?}");
    found_in(&files, &[SENTENCE, PHONE, NAME, CUSTOMER_ID, TOKEN, NOTE, MESSAGE_ID, REACTOR, EMOJI, META_USER])
}

async fn plant(store: &SqliteStore, account: &ChannelAccount) -> TenantId {
    let tenant = account.tenant.clone();
    let inbox = store.inbox();
    inbox.save_account(account).await.unwrap();
    store.vault().put(&tenant, account.id, TokenSet::new(TOKEN)).await.unwrap();
    let events = AccountEvents::new(account);
    let text = format!("{SENTENCE}, call me on {PHONE}");
    inbox.accept(vec![events.text("evt-1", &customer(), MESSAGE_ID, &text, at(1))]).await.unwrap();
    tenant
}

/// A reaction by [`REACTOR`] to the planted message, and one to a message that arrives after
/// it (kept pending, then applied); both read back.
async fn add_reactions(store: &SqliteStore, account: &ChannelAccount) {
    let (inbox, tenant) = (store.inbox(), &account.tenant);
    let events = AccountEvents::new(account);
    let reactor = PlatformUser::new(IdentityKind::LineUserId, REACTOR);
    inbox
        .accept(vec![
            events.reaction("evt-react-1", &reactor, MESSAGE_ID, Some(EMOJI), at(4)),
            events.reaction("evt-react-2", &reactor, "later-1", Some(EMOJI), at(5)),
            events.text("evt-later-1", &customer(), "later-1", "later", at(6)),
        ])
        .await
        .unwrap();
    let conversation = inbox.conversations(tenant, &ConversationQuery::new()).await.unwrap().items.remove(0);
    let messages = inbox.messages(tenant, conversation.id, &MessageQuery::new()).await.unwrap().items;
    assert_eq!(messages.len(), 2, "{messages:?}");
    for message in &messages {
        let reactions: Vec<(&str, &str)> =
            message.reactions.iter().map(|found| (found.by.as_str(), found.emoji.as_str())).collect();
        assert_eq!(reactions, [(REACTOR, EMOJI)], "{:?}", message.platform_message_id);
    }
}

/// The shared planted data ([`planted::add_personal_data`]), and the lookups by blind that
/// find it again: the order by its buyer, the deletion link by its platform user.
async fn add_personal_data(store: &SqliteStore, tenant: &TenantId) {
    planted::add_personal_data(store, tenant, at(2)).await;
    let inbox = store.inbox();
    let (_, contact) = first_conversation(store, tenant).await;
    let account = inbox.conversations(tenant, &ConversationQuery::new()).await.unwrap().items[0].account;
    let buyer = unibox_core::ContactIdentity { account, kind: IdentityKind::LineUserId, value: CUSTOMER_ID.to_owned() };
    let orders = inbox.orders_of_buyers(tenant, &[buyer], 10).await.unwrap();
    assert_eq!(orders.len(), 1, "found by the buyer's blind");
    assert_eq!(orders[0].items[0].name, NOTE);
    assert_eq!(inbox.linked_contacts(tenant, "meta", META_USER).await.unwrap(), [contact]);
    assert!(inbox.linked_contacts(tenant, "meta", "3591046287719403").await.unwrap().is_empty());
    assert!(inbox.linked_contacts(tenant, "line", META_USER).await.unwrap().is_empty(), "per platform");
    assert_eq!(inbox.pending(tenant).await.unwrap().len(), 1);
    assert_eq!(inbox.get(tenant, CONFIRMATION).await.unwrap().unwrap().platform_user_id, META_USER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_planted_personal_data_reaches_any_file_with_sealing_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let store = SqliteStore::open(&path, keys(&Keyring::generate_entry(1), Cipher::default())).await.unwrap();
    assert!(store.inbox().seals_conversations());
    let account = fixtures::line_account(&fixtures::tenant("acme"));
    let tenant = plant(&store, &account).await;
    // Accepted: in the journal, not applied yet (or just applied).
    assert_eq!(scan(&path), Vec::<&str>::new(), "after accepting");

    // Reading waits for the journal to be applied; everything reads back in plaintext.
    let conversation = store.inbox().conversations(&tenant, &ConversationQuery::new()).await.unwrap().items.remove(0);
    let messages = store.inbox().messages(&tenant, conversation.id, &MessageQuery::new()).await.unwrap().items;
    assert!(messages[0].content.searchable_text().unwrap().contains(SENTENCE));
    assert_eq!(messages[0].platform_message_id.as_deref(), Some(MESSAGE_ID));
    let contact = store.inbox().contact(&tenant, conversation.contact).await.unwrap();
    assert_eq!(contact.display_name.as_deref(), Some(NAME));
    assert_eq!(contact.identities[0].value, CUSTOMER_ID);
    let identity = contact.identities[0].clone();
    let found = store.inbox().contact_by_identity(&tenant, &identity).await.unwrap().expect("found by identity");
    assert_eq!(found.id, contact.id);
    add_personal_data(&store, &tenant).await;
    let notes = store.inbox().notes(&tenant, conversation.id).await.unwrap();
    assert_eq!(notes[0].body, NOTE);
    let profile = store.inbox().contact_profile(&tenant, conversation.contact).await.unwrap();
    assert_eq!(profile.attributes.get("phone").map(String::as_str), Some(PHONE));
    // A redelivery is recognised through the blind index of platform message ids.
    let events = AccountEvents::new(&account);
    store.inbox().accept(vec![events.text("evt-1b", &customer(), MESSAGE_ID, "again", at(3))]).await.unwrap();
    let again = store.inbox().messages(&tenant, conversation.id, &MessageQuery::new()).await.unwrap().items;
    assert_eq!(again.len(), 1, "the same platform message id is stored once");
    add_reactions(&store, &account).await;
    assert_eq!(
        scan(&path),
        Vec::<&str>::new(),
        "after applying, notes, profile updates, a deletion request and reactions"
    );

    close(store).await;
    assert_eq!(scan(&path), Vec::<&str>::new(), "after closing (logs checkpointed)");
}

/// The control: the same scan finds the planted values when sealing is off, so a zero above
/// means sealed, not a scan that cannot see.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_scan_finds_the_planted_data_with_sealing_off() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let options = SqliteOptions::new().conversation_sealing(false);
    let store =
        SqliteStore::open_with(&path, options, keys(&Keyring::generate_entry(1), Cipher::default())).await.unwrap();
    assert!(!store.inbox().seals_conversations());
    let account = fixtures::line_account(&fixtures::tenant("acme"));
    let tenant = plant(&store, &account).await;
    assert!(scan(&path).contains(&SENTENCE), "the journal holds the event in plaintext");
    add_personal_data(&store, &tenant).await;
    add_reactions(&store, &account).await;
    let found = scan(&path);
    for planted in [SENTENCE, PHONE, NAME, CUSTOMER_ID, NOTE, MESSAGE_ID, REACTOR, EMOJI, META_USER] {
        assert!(found.contains(&planted), "{planted} in plaintext: {found:?}");
    }
    // Tokens are sealed by the vault either way.
    assert!(!found.contains(&TOKEN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_keeps_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    let (plain, sealed) = (dir.path().join("plain.db"), dir.path().join("sealed.db"));
    let entry = Keyring::generate_entry(1);
    let store = SqliteStore::open_with(
        &plain,
        SqliteOptions::new().conversation_sealing(false),
        keys(&entry, Cipher::default()),
    )
    .await
    .unwrap();
    plant(&store, &fixtures::line_account(&fixtures::tenant("acme"))).await;
    close(store).await;
    let refused = SqliteStore::open(&plain, keys(&entry, Cipher::default())).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Configuration);
    assert!(refused.to_string().contains("plaintext conversation data"), "{refused}");

    let store = SqliteStore::open(&sealed, keys(&entry, Cipher::default())).await.unwrap();
    plant(&store, &fixtures::line_account(&fixtures::tenant("acme"))).await;
    close(store).await;
    let refused = unibox_store_sqlite::SqliteInbox::open(&sealed).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Configuration);
    assert!(refused.to_string().contains("sealed conversation data"), "{refused}");
    // Reopened with its keys, everything (including what waited in the journal) is there.
    let store = SqliteStore::open(&sealed, keys(&entry, Cipher::default())).await.unwrap();
    let tenant = fixtures::tenant("acme");
    let hits = store.inbox().search(&tenant, &SearchQuery::new("parcel")).await.unwrap().items;
    assert_eq!(hits.len(), 1);
}

async fn say(store: &SqliteStore, events: &AccountEvents, n: u32, text: &str) {
    let customer = fixtures::customer(IdentityKind::LineUserId, n % 3);
    let event = events.text(&format!("evt-{n}"), &customer, &format!("m-{n}"), text, at(n.into()));
    store.inbox().accept(vec![event]).await.unwrap();
}

async fn texts(store: &SqliteStore, tenant: &TenantId, query: &str) -> Vec<String> {
    let page = store.inbox().search(tenant, &SearchQuery::new(query)).await.unwrap();
    page.items.iter().map(|m| m.content.searchable_text().unwrap_or_default().into_owned()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_thai_japanese_and_english_in_sealed_messages_and_nothing_of_another_tenant() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let store = SqliteStore::open(&path, keys(&Keyring::generate_entry(1), Cipher::default())).await.unwrap();
    let (acme, globex) = (fixtures::tenant("acme"), fixtures::tenant("globex"));
    let acme_account = fixtures::line_account(&acme);
    let mut globex_account = fixtures::line_account(&globex);
    globex_account.platform_account_id = "globex-line".to_owned();
    store.inbox().save_account(&acme_account).await.unwrap();
    store.inbox().save_account(&globex_account).await.unwrap();
    let (acme_events, globex_events) = (AccountEvents::new(&acme_account), AccountEvents::new(&globex_account));
    say(&store, &acme_events, 1, "สวัสดีครับ ต้องการคืนเงิน").await;
    say(&store, &acme_events, 2, "ありがとうございます、注文した商品がまだ届きません").await;
    say(&store, &acme_events, 3, "Where is my ORDER #1234? It is late").await;
    say(&store, &acme_events, 4, "ok").await;
    say(&store, &globex_events, 5, "สวัสดีครับ globex order").await;

    assert_eq!(texts(&store, &acme, "สวัสดีครับ").await, ["สวัสดีครับ ต้องการคืนเงิน"]);
    assert_eq!(texts(&store, &acme, "คืนเงิน").await.len(), 1, "a Thai word inside a sentence");
    assert_eq!(texts(&store, &acme, "ありがとうございます").await.len(), 1);
    assert_eq!(texts(&store, &acme, "商品 届き").await.len(), 1, "two Japanese terms");
    assert_eq!(texts(&store, &acme, "order late").await, ["Where is my ORDER #1234? It is late"]);
    assert!(texts(&store, &acme, "order refund").await.is_empty(), "every term must occur");
    assert_eq!(texts(&store, &acme, "ok").await.len(), 1, "a short term is found by scanning");
    assert_eq!(texts(&store, &globex, "สวัสดีครับ").await, ["สวัสดีครับ globex order"], "only globex's own");
    assert!(texts(&store, &globex, "ありがとう").await.is_empty(), "nothing of acme's");
    assert!(texts(&store, &fixtures::tenant("initech"), "order").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shredded_tenants_conversations_no_longer_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let store = SqliteStore::open(&path, keys(&Keyring::generate_entry(1), Cipher::default())).await.unwrap();
    let account = fixtures::line_account(&fixtures::tenant("acme"));
    let tenant = plant(&store, &account).await;
    let conversation = store.inbox().conversations(&tenant, &ConversationQuery::new()).await.unwrap().items.remove(0);
    store.vault().shred_tenant(&tenant).await.unwrap();
    let read = store.inbox().messages(&tenant, conversation.id, &MessageQuery::new()).await.unwrap_err();
    assert_eq!(read.kind(), ErrorKind::TokenInvalid, "{read}");
    assert!(read.to_string().contains("crypto-shredded"), "{read}");
    let contact = store.inbox().contact(&tenant, conversation.contact).await.unwrap_err();
    assert_eq!(contact.kind(), ErrorKind::TokenInvalid);
    assert!(store.inbox().search(&tenant, &SearchQuery::new("parcel")).await.unwrap().items.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aes_deployment_opens_xchacha_values_and_the_other_way_round() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let entry = Keyring::generate_entry(1);
    let tenant = fixtures::tenant("acme");
    let account = fixtures::line_account(&tenant);
    let events = AccountEvents::new(&account);
    let store = SqliteStore::open(&path, keys(&entry, Cipher::XChaCha20Poly1305)).await.unwrap();
    store.inbox().save_account(&account).await.unwrap();
    say(&store, &events, 1, "sealed with xchacha first").await;
    assert_eq!(texts(&store, &tenant, "xchacha").await.len(), 1);
    close(store).await;
    let store = SqliteStore::open(&path, keys(&entry, Cipher::Aes256GcmSiv)).await.unwrap();
    say(&store, &events, 2, "then sealed with aes").await;
    assert_eq!(texts(&store, &tenant, "sealed").await.len(), 2, "the AES deployment opens both");
    close(store).await;
    let store = SqliteStore::open(&path, keys(&entry, Cipher::XChaCha20Poly1305)).await.unwrap();
    assert_eq!(texts(&store, &tenant, "sealed").await.len(), 2, "and so does the XChaCha one");

    // The stored blobs name their cipher.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let mut statement =
        conn.prepare("SELECT coalesce(body_sealed, content_sealed) FROM messages ORDER BY sent_at").unwrap();
    let blobs: Vec<Vec<u8>> = statement.query_map([], |row| row.get(0)).unwrap().map(Result::unwrap).collect();
    let ciphers: Vec<Cipher> = blobs.iter().map(|blob| unibox_vault::Vault::cipher_of(blob).unwrap()).collect();
    assert_eq!(ciphers, [Cipher::XChaCha20Poly1305, Cipher::Aes256GcmSiv]);
}

/// An export of a plain inbox (which holds every planted value in plaintext) imported into a
/// sealed one: the import stores what ingest would (sealed values, blind lookups, blind search
/// terms), so no planted value reaches a file, and everything reads back and is found.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_into_a_sealed_store_writes_no_planted_personal_data() {
    use unibox_core::privacy::export::{ExportScope, export, import};
    let dir = tempfile::tempdir().unwrap();
    let (source_path, path) = (dir.path().join("plain.db"), dir.path().join("sealed.db"));
    let entry = Keyring::generate_entry(1);
    let source = SqliteStore::open_with(
        &source_path,
        SqliteOptions::new().conversation_sealing(false),
        keys(&entry, Cipher::default()),
    )
    .await
    .unwrap();
    let account = fixtures::line_account(&fixtures::tenant("acme"));
    let tenant = plant(&source, &account).await;
    add_personal_data(&source, &tenant).await;
    add_reactions(&source, &account).await;
    let source = unibox_core::store::Store::from(source);
    let mut exported = Vec::new();
    export(&source, &tenant, &ExportScope::Tenant, at(10), &mut exported).await.unwrap();
    let text = String::from_utf8(exported.clone()).unwrap();
    for planted in [SENTENCE, PHONE, NAME, CUSTOMER_ID, NOTE, MESSAGE_ID, REACTOR, EMOJI] {
        assert!(text.contains(planted), "the export carries {planted}");
    }

    let store = SqliteStore::open(&path, keys(&entry, Cipher::default())).await.unwrap();
    assert!(store.inbox().seals_conversations());
    let summary = import(store.inbox().as_ref(), exported.as_slice()).await.unwrap();
    assert!(summary.counts.total() > 0);
    assert_eq!(scan(&path), Vec::<&str>::new(), "after the import");

    // Everything reads back, is found by its blind lookups and by search.
    let inbox = store.inbox();
    let conversation = inbox.conversations(&tenant, &ConversationQuery::new()).await.unwrap().items.remove(0);
    let planted = |messages: Vec<unibox_core::Message>| {
        messages.into_iter().find(|found| found.platform_message_id.as_deref() == Some(MESSAGE_ID)).expect("planted")
    };
    let message = planted(inbox.messages(&tenant, conversation.id, &MessageQuery::new()).await.unwrap().items);
    assert!(message.content.searchable_text().unwrap().contains(SENTENCE));
    assert_eq!(message.reactions.len(), 1);
    assert_eq!((message.reactions[0].by.as_str(), message.reactions[0].emoji.as_str()), (REACTOR, EMOJI));
    // A later removal by the same reactor replaces the imported reaction, found by its blind.
    let events = AccountEvents::new(&account);
    let reactor = PlatformUser::new(IdentityKind::LineUserId, REACTOR);
    inbox.accept(vec![events.reaction("evt-react-3", &reactor, MESSAGE_ID, None, at(12))]).await.unwrap();
    let message = planted(inbox.messages(&tenant, conversation.id, &MessageQuery::new()).await.unwrap().items);
    assert!(message.reactions.is_empty(), "the removal replaced the imported reaction: {message:?}");
    let contact = inbox.contact(&tenant, conversation.contact).await.unwrap();
    assert_eq!(contact.display_name.as_deref(), Some(NAME));
    let found = inbox.contact_by_identity(&tenant, &contact.identities[0]).await.unwrap().expect("by identity");
    assert_eq!(found.id, contact.id);
    assert_eq!(inbox.notes(&tenant, conversation.id).await.unwrap()[0].body, NOTE);
    let profile = inbox.contact_profile(&tenant, conversation.contact).await.unwrap();
    assert_eq!(profile.attributes.get("phone").map(String::as_str), Some(PHONE));
    let buyer = unibox_core::ContactIdentity {
        account: conversation.account,
        kind: IdentityKind::LineUserId,
        value: CUSTOMER_ID.to_owned(),
    };
    assert_eq!(inbox.orders_of_buyers(&tenant, &[buyer], 10).await.unwrap().len(), 1, "by the buyer's blind");
    assert_eq!(texts(&store, &tenant, "parcel Sukhumvit").await.len(), 1, "found through the blind index");
    // A redelivery of the imported message is recognised through the blind platform id.
    inbox.accept(vec![events.text("evt-again", &customer(), MESSAGE_ID, "again", at(11))]).await.unwrap();
    assert_eq!(inbox.messages(&tenant, conversation.id, &MessageQuery::new()).await.unwrap().items.len(), 2);

    close(store).await;
    assert_eq!(scan(&path), Vec::<&str>::new(), "after closing (logs checkpointed)");
}

/// A sealed file may hold reactions an earlier build (schema version 16) stored in plaintext:
/// they still read back, and the next winning reaction by the same reactor to the same message
/// replaces the plaintext row with a sealed one (an older one does not).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plaintext_reaction_of_an_earlier_build_keeps_working_in_a_sealed_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let entry = Keyring::generate_entry(1);
    let account = fixtures::line_account(&fixtures::tenant("acme"));
    let store = SqliteStore::open(&path, keys(&entry, Cipher::default())).await.unwrap();
    let tenant = plant(&store, &account).await;
    let conversation = store.inbox().conversations(&tenant, &ConversationQuery::new()).await.unwrap().items.remove(0);
    let message = store.inbox().messages(&tenant, conversation.id, &MessageQuery::new()).await.unwrap().items.remove(0);
    close(store).await;
    // What a build before schema version 17 wrote: the reactor and emoji in plaintext.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO reactions (tenant, message, reactor, emoji, at, event_id) VALUES (?1, ?2, ?3, ?4, ?5, 'evt-old')",
        rusqlite::params![tenant.as_str(), message.id.as_bytes(), REACTOR, "+1", at(5).as_unix_millis()],
    )
    .unwrap();
    drop(conn);
    let rows = |path: &Path| {
        let conn = rusqlite::Connection::open(path).unwrap();
        let mut statement = conn
            .prepare("SELECT reactor = ?1, reactor_sealed IS NOT NULL, emoji IS NULL FROM reactions ORDER BY at")
            .unwrap();
        statement
            .query_map([REACTOR], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect::<Vec<(bool, bool, bool)>>()
    };
    assert_eq!(rows(&path), [(true, false, false)], "one plaintext row");

    let store = SqliteStore::open(&path, keys(&entry, Cipher::default())).await.unwrap();
    let inbox = store.inbox();
    let reactions = |messages: Vec<unibox_core::Message>| -> Vec<(String, String)> {
        messages[0].reactions.iter().map(|found| (found.by.clone(), found.emoji.clone())).collect()
    };
    let read = inbox.messages(&tenant, conversation.id, &MessageQuery::new()).await.unwrap().items;
    assert_eq!(reactions(read), [(REACTOR.to_owned(), "+1".to_owned())], "read as it is");
    let events = AccountEvents::new(&account);
    let reactor = PlatformUser::new(IdentityKind::LineUserId, REACTOR);
    // Older than the stored row: loses against it.
    inbox.accept(vec![events.reaction("evt-older", &reactor, MESSAGE_ID, Some("older"), at(4))]).await.unwrap();
    let read = inbox.messages(&tenant, conversation.id, &MessageQuery::new()).await.unwrap().items;
    assert_eq!(reactions(read), [(REACTOR.to_owned(), "+1".to_owned())], "the older reaction lost");
    // Newer: replaces it, sealed.
    inbox.accept(vec![events.reaction("evt-newer", &reactor, MESSAGE_ID, Some(EMOJI), at(6))]).await.unwrap();
    let read = inbox.messages(&tenant, conversation.id, &MessageQuery::new()).await.unwrap().items;
    assert_eq!(reactions(read), [(REACTOR.to_owned(), EMOJI.to_owned())], "the newer reaction won");
    close(store).await;
    assert_eq!(rows(&path), [(false, true, true)], "one sealed row: the blind as reactor, no plaintext emoji");
    assert_eq!(scan(&path), Vec::<&str>::new(), "nothing of the reaction in plaintext any more");
}

/// What the file holds for a message: (body sealed, content sealed, reply-to sealed, platform
/// id sealed), each whether set.
fn sealed_columns(path: &Path) -> Vec<(bool, bool, bool, bool)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut statement = conn
        .prepare(
            "SELECT body_sealed IS NOT NULL, content_sealed IS NOT NULL, reply_to_sealed IS NOT NULL, \
             platform_message_id_sealed IS NOT NULL FROM messages ORDER BY sent_at",
        )
        .unwrap();
    statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

/// Ingest seals a message's platform id, reply-to and content as one body; an edit or unsend
/// splits it into its parts first, so the replaced or erased content is not kept inside the
/// body, and every part still reads back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_body_is_sealed_as_one_and_split_by_an_edit_or_unsend() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let store = SqliteStore::open(&path, keys(&Keyring::generate_entry(1), Cipher::default())).await.unwrap();
    let account = fixtures::line_account(&fixtures::tenant("acme"));
    let tenant = account.tenant.clone();
    store.inbox().save_account(&account).await.unwrap();
    let events = AccountEvents::new(&account);
    let reply = unibox_core::InboundMessage {
        reply_to: Some(MESSAGE_ID.to_owned()),
        ..unibox_core::InboundMessage::inbound(customer(), "468789577898262502", unibox_core::Content::text("second"))
    };
    store
        .inbox()
        .accept(vec![
            events.text("evt-1", &customer(), MESSAGE_ID, SENTENCE, at(1)),
            events.message("evt-2", reply, at(2)),
            events.text("evt-3", &customer(), "468789577898262503", "third", at(3)),
        ])
        .await
        .unwrap();
    let read = |store: &SqliteStore| {
        let (inbox, tenant) = (store.inbox().clone(), tenant.clone());
        async move {
            let conversation = inbox.conversations(&tenant, &ConversationQuery::new()).await.unwrap().items.remove(0);
            inbox.messages(&tenant, conversation.id, &MessageQuery::new()).await.unwrap().items
        }
    };
    let messages = read(&store).await;
    let by_id = |messages: &[unibox_core::Message], id: &str| {
        messages.iter().find(|m| m.platform_message_id.as_deref() == Some(id)).cloned().expect("the message")
    };
    assert_eq!(by_id(&messages, "468789577898262502").reply_to.as_deref(), Some(MESSAGE_ID));
    assert_eq!(by_id(&messages, MESSAGE_ID).content.searchable_text().as_deref(), Some(SENTENCE));
    assert_eq!(sealed_columns(&path), vec![(true, false, false, false); 3], "one body per message");

    store
        .inbox()
        .accept(vec![
            events.edit("evt-4", &customer(), "468789577898262502", "second, edited", at(4)),
            events.unsend("evt-5", &customer(), "468789577898262503", at(5)),
        ])
        .await
        .unwrap();
    let messages = read(&store).await;
    let edited = by_id(&messages, "468789577898262502");
    assert_eq!(edited.content.searchable_text().as_deref(), Some("second, edited"));
    assert_eq!(edited.reply_to.as_deref(), Some(MESSAGE_ID), "the reply-to survives the split");
    let unsent = by_id(&messages, "468789577898262503");
    assert!(unsent.unsent_at.is_some());
    assert_eq!(unsent.content.searchable_text().unwrap_or_default(), "");
    assert_eq!(
        sealed_columns(&path),
        vec![(true, false, false, false), (false, true, true, true), (false, false, false, true)],
        "the edited message holds its parts; the unsent one only its platform id"
    );
    // A later redelivery of the edited message is still recognised by its platform id.
    store.inbox().accept(vec![events.text("evt-6", &customer(), "468789577898262502", "again", at(6))]).await.unwrap();
    assert_eq!(read(&store).await.len(), 3);
    assert_eq!(store.inbox().search(&tenant, &SearchQuery::new("edited")).await.unwrap().items.len(), 1);
    assert!(store.inbox().search(&tenant, &SearchQuery::new("third")).await.unwrap().items.is_empty());
}
