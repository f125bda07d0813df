//! Export and import ([`unibox_core::privacy::export`]) on any backend that can restore:
//! export, import into an empty store, export again gives the same bytes; a contact export
//! holds that contact's data and nobody else's; bad input is a typed error naming its line.
//!
//! [`run_all`] runs every check on fresh stores of a [`StoreFactory`]; the store harness calls
//! it when a backend declares [`StoreCapabilities::restore`](unibox_core::store::StoreCapabilities::restore).

use std::collections::HashSet;

use unibox_core::audit::{AuditOutcome, AuditRecord, AuditSink, targets, verify_chain};
use unibox_core::inbox::{ConversationQuery, ConversationUpdate, SearchQuery};
use unibox_core::memory::MemoryStore;
use unibox_core::orders::{Order, OrderChange, OrderItem};
use unibox_core::privacy::export::{ExportRecord, ExportScope, RecordCounts, export, import};
use unibox_core::store::Store;
use unibox_core::workflow::ContactUpdate;
use unibox_core::{
    Actor, ChannelKind, ContactId, ContactIdentity, Content, ConversationId, ConversationStatus, DeliveryStatus,
    ErrorKind, InboundMessage, InternalNote, NoteId, Role, TenantId, Timestamp,
};

use crate::fixtures::{self, AccountEvents};
use crate::harness::StoreFactory;

/// The Thai text of the seeded LINE customer's first message.
pub const THAI_TEXT: &str = "สวัสดีค่ะ อยากสั่งเสื้อสีแดงไซส์ M ค่ะ";
/// The Japanese text the LINE customer edits their second message to.
pub const JAPANESE_TEXT: &str = "こんにちは、注文の確認をお願いします";
/// A sentence only the Messenger customer wrote.
pub const MESSENGER_TEXT: &str = "Is the blue kettle still in stock? Malee";
/// A sentence only the other tenant holds.
pub const OTHER_TENANT_TEXT: &str = "globex-only: the warehouse code is 4471";

/// What [`seed`] created.
#[derive(Clone, Debug)]
pub struct Seeded {
    /// The tenant with the data.
    pub tenant: TenantId,
    /// Another tenant in the same store, which no export of `tenant` may show.
    pub other: TenantId,
    /// The LINE customer (Thai and Japanese messages, a reaction, an edit, a note, attributes).
    pub line_contact: ContactId,
    /// The Messenger customer (an unsent message, a location, a snoozed conversation).
    pub messenger_contact: ContactId,
    /// The Shopee buyer (an order, a resolved conversation).
    pub shopee_contact: ContactId,
    /// The LINE customer's conversation.
    pub line_conversation: ConversationId,
}

fn at(seconds: i64) -> Timestamp {
    fixtures::at(seconds)
}

/// Fills `store` with a realistic tenant: three channels, inbound and outbound messages in
/// Thai, Japanese and English, an edit, an unsend, reactions, delivery receipts, a location,
/// workflow states (tags, assignee, snoozed, resolved), notes, contact attributes, orders (when
/// the store keeps them) and audit records with a checkpoint; and a second tenant beside it.
pub async fn seed(store: &Store) -> Seeded {
    let tenant = fixtures::tenant("export-acme");
    let other = fixtures::tenant("export-globex");
    let line = fixtures::line_account(&tenant);
    let messenger = fixtures::messenger_account(&tenant);
    let shopee = fixtures::shopee_account(&tenant);
    let globex = fixtures::account(&other, "line-globex", ChannelKind::LINE, "Uglobex0000000000000000000000001");
    for account in [&line, &messenger, &shopee, &globex] {
        store.accounts.save_account(account).await.expect("the account is saved");
    }
    let (somchai, malee, buyer) = (fixtures::line_user(), fixtures::messenger_user(), fixtures::shopee_buyer());
    let (on_line, on_messenger, on_shopee) =
        (AccountEvents::new(&line), AccountEvents::new(&messenger), AccountEvents::new(&shopee));
    let location = Content::Location {
        latitude: 13.7563,
        longitude: 100.5018,
        name: Some("สยามพารากอน".into()),
        address: Some("991 Rama I Rd, Bangkok".into()),
    };
    let events = vec![
        on_line.text("ev-l1", &somchai, "l-1", THAI_TEXT, at(0)),
        on_line.text("ev-l2", &somchai, "l-2", "こんにちは", at(10)),
        on_line.edit("ev-l2e", &somchai, "l-2", JAPANESE_TEXT, at(20)),
        on_line.reaction("ev-l1r", &somchai, "l-1", Some("❤️"), at(25)),
        on_line.echo("ev-l3", &somchai, "l-3", "ได้เลยค่ะ ส่งพรุ่งนี้นะคะ", at(30)),
        on_line.delivery("ev-l3d", &["l-3"], DeliveryStatus::Read, at(40)),
        on_messenger.text("ev-m1", &malee, "m-1", MESSENGER_TEXT, at(50)),
        on_messenger.text("ev-m2", &malee, "m-2", "my phone is +66 81 234 5678", at(60)),
        on_messenger.unsend("ev-m2u", &malee, "m-2", at(70)),
        on_messenger.message("ev-m3", InboundMessage::inbound(malee.clone(), "m-3", location), at(80)),
        on_shopee.text("ev-s1", &buyer, "s-1", fixtures::ENGLISH_ORDER_TEXT, at(90)),
        AccountEvents::new(&globex).text(
            "ev-g1",
            &fixtures::customer(unibox_core::IdentityKind::LineUserId, 9),
            "g-1",
            OTHER_TENANT_TEXT,
            at(95),
        ),
    ];
    store.ingest.ingest(events).await.expect("the events are stored");

    let contact = |account: &unibox_core::ChannelAccount, user: &unibox_core::PlatformUser| {
        let identity = ContactIdentity { account: account.id, kind: user.kind.clone(), value: user.id.clone() };
        let tenant = tenant_of(account);
        async move { store.reads.contact_by_identity(&tenant, &identity).await }
    };
    let line_contact = contact(&line, &somchai).await.expect("read").expect("the LINE contact").id;
    let messenger_contact = contact(&messenger, &malee).await.expect("read").expect("the Messenger contact").id;
    let shopee_contact = contact(&shopee, &buyer).await.expect("read").expect("the Shopee contact").id;
    let conversation_of = |contact: ContactId| {
        let tenant = tenant.clone();
        async move {
            let page = store.reads.conversations(&tenant, &ConversationQuery::new().contact(contact)).await;
            page.expect("the conversations are listed").items[0].id
        }
    };
    let line_conversation = conversation_of(line_contact).await;
    let messenger_conversation = conversation_of(messenger_contact).await;
    let shopee_conversation = conversation_of(shopee_contact).await;

    let agent = fixtures::user("agent-7");
    let reply = fixtures::agent_reply(line_conversation, &agent, "ขอบคุณค่ะ จะส่งของให้วันนี้", at(100));
    let reply_id = reply.id;
    store.outbound.record_outbound(&tenant, reply).await.expect("the reply is recorded");
    store.outbound.update_delivery(&tenant, reply_id, DeliveryStatus::Sent, Some("l-out-1")).await.expect("sent");
    store.outbound.update_delivery(&tenant, reply_id, DeliveryStatus::Delivered, None).await.expect("delivered");
    let queued = fixtures::agent_reply(messenger_conversation, &agent, "We will check the stock", at(110));
    store.outbound.record_outbound(&tenant, queued).await.expect("a queued reply is recorded");

    let workflow = &store.workflow;
    let update = ConversationUpdate::new().tags(["vip", "ไทย"]).assign(agent.clone()).at(at(120));
    workflow.update_conversation(&tenant, line_conversation, &update).await.expect("tagged and assigned");
    let snooze = ConversationUpdate::new().snooze(at(86_400)).at(at(121));
    workflow.update_conversation(&tenant, messenger_conversation, &snooze).await.expect("snoozed");
    let resolve = ConversationUpdate::new().status(ConversationStatus::Resolved).at(at(122));
    workflow.update_conversation(&tenant, shopee_conversation, &resolve).await.expect("resolved");
    for (conversation, body, seconds) in [
        (line_conversation, "ลูกค้าประจำ ชอบสีแดง", 130),
        (line_conversation, "Prefers delivery after 6 pm", 131),
        (messenger_conversation, "Asked about the kettle twice", 132),
    ] {
        let note = InternalNote {
            id: NoteId::new(),
            tenant: tenant.clone(),
            conversation,
            author: agent.clone(),
            body: body.into(),
            created_at: at(seconds),
        };
        workflow.add_note(&note).await.expect("the note is added");
    }
    let attributes =
        ContactUpdate::new().attribute("email", "somchai@example.co.th").attribute("phone", "+66812345678");
    workflow.update_contact(&tenant, line_contact, &attributes).await.expect("the attributes are saved");

    if let Some(orders) = &store.orders {
        let order = Order::new(tenant.clone(), shopee.id, "241121ABCDEF", "UNPAID", at(140))
            .with_buyer(buyer.clone())
            .with_item(OrderItem::new("เสื้อยืดสีแดง M", 2).with_sku("TS-RED-M").with_unit_price("199.00"))
            .with_total("398.00", "THB")
            .with_created_at(at(139));
        orders.merge_order(order).await.expect("the order is stored");
        let shipped = Order::new(tenant.clone(), shopee.id, "241121ABCDEF", "SHIPPED", at(150))
            .with_tracking_number("TH0123456789")
            .with_change(OrderChange::status("order:241121ABCDEF:SHIPPED", "SHIPPED", at(150)));
        orders.merge_order(shipped).await.expect("the order is updated");
        let anonymous = Order::new(tenant.clone(), shopee.id, "241121ZZZZZZ", "COMPLETED", at(160));
        orders.merge_order(anonymous).await.expect("an order without a buyer is stored");
    }

    let admin = Actor::user(tenant.clone(), fixtures::user("ann"), Role::Admin);
    for (action, target, seconds) in [
        ("contact.edit", targets::contact(line_contact), 170),
        ("conversation.assign", targets::conversation(line_conversation), 171),
        ("conversation.status", targets::conversation(messenger_conversation), 172),
        ("settings.change", "settings:business-hours".to_string(), 173),
    ] {
        let record = AuditRecord::new(&admin, action, target, at(seconds), AuditOutcome::Success);
        store.audit.record(record).await.expect("the audit record is kept");
    }
    store.audit.checkpoint_now(&tenant).await.expect("a checkpoint is signed");
    let globex_admin = Actor::user(other.clone(), fixtures::user("gus"), Role::Admin);
    let record = AuditRecord::new(&globex_admin, "settings.change", "settings:globex", at(174), AuditOutcome::Success);
    store.audit.record(record).await.expect("the other tenant's audit record is kept");

    Seeded { tenant, other, line_contact, messenger_contact, shopee_contact, line_conversation }
}

fn tenant_of(account: &unibox_core::ChannelAccount) -> TenantId {
    account.tenant.clone()
}

/// The export of `scope`, as bytes, and its counts.
pub async fn export_bytes(store: &Store, tenant: &TenantId, scope: &ExportScope) -> (Vec<u8>, RecordCounts) {
    let mut out = Vec::new();
    let counts = export(store, tenant, scope, at(1_000), &mut out).await.expect("the export is written");
    (out, counts)
}

fn restore_of(store: &Store) -> &dyn unibox_core::privacy::export::Restore {
    store.restore.as_deref().expect("the store declares `restore` and has a restore port")
}

/// Exports a seeded store, imports the export into an empty store of the same backend and
/// exports that: the bytes are the same, every kind of record is there, and the imported audit
/// chain verifies.
pub async fn export_import_export_is_byte_identical(factory: &dyn StoreFactory) {
    let source = factory.fresh().await;
    let seeded = seed(&source).await;
    let (first, counts) = export_bytes(&source, &seeded.tenant, &ExportScope::Tenant).await;
    assert_eq!(counts.accounts, 3, "the tenant's three accounts, not the other tenant's");
    assert_eq!(counts.contacts, 3);
    assert_eq!(counts.conversations, 3);
    assert_eq!(counts.messages, 9, "seven messages ingested, two replies recorded: {counts:?}");
    assert_eq!(counts.notes, 3);
    if source.orders.is_some() {
        assert_eq!(counts.orders, 2);
    }
    assert_eq!(counts.audit_records, 4);
    assert_eq!(counts.audit_checkpoints, 1);
    let text = String::from_utf8(first.clone()).expect("an export is UTF-8");
    assert_eq!(text.lines().count() as u64, counts.total() + 1, "a manifest line, then one line per record");
    for expected in [THAI_TEXT, JAPANESE_TEXT, MESSENGER_TEXT, "❤️", "ลูกค้าประจำ ชอบสีแดง", "somchai@example.co.th"]
    {
        assert!(text.contains(expected), "the export holds {expected:?}");
    }
    assert!(!text.contains(OTHER_TENANT_TEXT), "nothing of the other tenant");
    assert!(!text.contains("+66 81 234 5678"), "an unsent message stays erased");

    let target = factory.fresh().await;
    let summary = import(restore_of(&target), first.as_slice()).await.expect("the export imports");
    assert_eq!(summary.counts, counts);
    assert_eq!(summary.manifest.tenant, seeded.tenant);
    let (second, _) = export_bytes(&target, &seeded.tenant, &ExportScope::Tenant).await;
    assert_eq!(String::from_utf8(second).expect("UTF-8"), text, "export -> import -> export gives the same bytes");

    let chain = target.audit.log().chain(&seeded.tenant, 0, 100).await.expect("the chain reads");
    assert_eq!(chain.len(), 4);
    assert!(verify_chain(&seeded.tenant, &chain, Vec::new(), &[]).is_intact(), "the imported chain still links");
}

/// A tenant of the memory backend moves to this backend: the export of the imported tenant is
/// the memory export, byte for byte.
pub async fn a_memory_export_moves_to_this_backend(factory: &dyn StoreFactory) {
    let memory: Store = MemoryStore::new().into();
    let seeded = seed(&memory).await;
    let (first, _) = export_bytes(&memory, &seeded.tenant, &ExportScope::Tenant).await;
    let target = factory.fresh().await;
    import(restore_of(&target), first.as_slice()).await.expect("the memory export imports");
    let (second, _) = export_bytes(&target, &seeded.tenant, &ExportScope::Tenant).await;
    assert_eq!(String::from_utf8(second).unwrap(), String::from_utf8(first).unwrap());
}

/// After an import the tenant works as before: search finds Thai and Japanese words, a
/// customer's identity finds their contact, a new message joins their conversation, an edit
/// of an imported message applies.
pub async fn an_imported_tenant_keeps_working(factory: &dyn StoreFactory) {
    let source = factory.fresh().await;
    let seeded = seed(&source).await;
    let (bytes, _) = export_bytes(&source, &seeded.tenant, &ExportScope::Tenant).await;
    let target = factory.fresh().await;
    import(restore_of(&target), bytes.as_slice()).await.expect("the export imports");
    let tenant = &seeded.tenant;
    for word in ["เสื้อสีแดง", "注文の確認", "kettle"] {
        let found = target.reads.search(tenant, &SearchQuery::new(word)).await.expect("search runs");
        assert_eq!(found.items.len(), 1, "search finds {word:?} in the imported messages");
    }
    let line =
        target.accounts.accounts(tenant).await.expect("accounts").into_iter().find(|a| a.kind == ChannelKind::LINE);
    let line = line.expect("the LINE account was imported");
    let somchai = fixtures::line_user();
    let identity = ContactIdentity { account: line.id, kind: somchai.kind.clone(), value: somchai.id.clone() };
    let found = target.reads.contact_by_identity(tenant, &identity).await.expect("lookup").expect("the contact");
    assert_eq!(found.id, seeded.line_contact);

    let on_line = AccountEvents::new(&line);
    let events = vec![
        on_line.text("ev-after-1", &somchai, "l-9", "ยังอยู่ไหมคะ", at(2_000)),
        on_line.edit("ev-after-2", &somchai, "l-1", "แก้ไขแล้วค่ะ", at(2_001)),
    ];
    target.ingest.ingest(events).await.expect("new events are stored");
    let page = target.reads.conversations(tenant, &ConversationQuery::new().contact(seeded.line_contact)).await;
    let conversations = page.expect("listed").items;
    assert_eq!(conversations.len(), 1, "the new message joined the imported conversation");
    assert_eq!(conversations[0].id, seeded.line_conversation);
    let edited = target.reads.search(tenant, &SearchQuery::new("แก้ไขแล้ว")).await.expect("search runs");
    assert_eq!(edited.items.len(), 1, "the edit of an imported message applied");
    assert_eq!(edited.items[0].platform_message_id.as_deref(), Some("l-1"));
}

/// Importing into a tenant that holds data is a `Conflict` and changes nothing.
pub async fn importing_into_a_tenant_with_data_is_a_conflict(factory: &dyn StoreFactory) {
    let source = factory.fresh().await;
    let seeded = seed(&source).await;
    let (bytes, _) = export_bytes(&source, &seeded.tenant, &ExportScope::Tenant).await;
    let error = import(restore_of(&source), bytes.as_slice()).await.expect_err("the tenant is not empty");
    assert_eq!(error.kind(), ErrorKind::Conflict, "{error}");
    let (after, _) = export_bytes(&source, &seeded.tenant, &ExportScope::Tenant).await;
    assert_eq!(after, bytes, "nothing was written");

    let target = factory.fresh().await;
    import(restore_of(&target), bytes.as_slice()).await.expect("the first import succeeds");
    let again = import(restore_of(&target), bytes.as_slice()).await.expect_err("the second finds data");
    assert_eq!(again.kind(), ErrorKind::Conflict);
}

/// A contact export holds the contact, its conversations, messages, notes, orders and the
/// audit records about it, and nothing of anybody else.
pub async fn a_contact_export_holds_that_contact_and_nobody_else(factory: &dyn StoreFactory) {
    let store = factory.fresh().await;
    let seeded = seed(&store).await;
    let scope = ExportScope::Contact { contact: seeded.line_contact };
    let (bytes, counts) = export_bytes(&store, &seeded.tenant, &scope).await;
    let text = String::from_utf8(bytes).expect("UTF-8");
    for expected in [THAI_TEXT, JAPANESE_TEXT, "ลูกค้าประจำ ชอบสีแดง", "somchai@example.co.th", fixtures::LINE_USER_ID]
    {
        assert!(text.contains(expected), "the contact export holds {expected:?}");
    }
    for absent in [MESSENGER_TEXT, "Malee", fixtures::MESSENGER_PSID, fixtures::SHOPEE_BUYER_ID, OTHER_TENANT_TEXT] {
        assert!(!text.contains(absent), "the contact export leaks {absent:?}");
    }
    assert_eq!((counts.contacts, counts.conversations, counts.notes), (1, 1, 2));
    assert_eq!(counts.messages, 4, "three LINE messages and the agent's reply");
    assert_eq!(counts.accounts, 1, "the account the contact wrote on");
    assert_eq!(counts.audit_records, 2, "the records about the contact and its conversation");
    assert_eq!(counts.audit_checkpoints, 0, "a checkpoint covers the whole chain, not a person");
    assert_eq!(counts.orders, 0);
    let mut conversations = HashSet::new();
    for line in text.lines().skip(1) {
        let record: ExportRecord = serde_json::from_str(line).expect("each line is a record");
        match record {
            ExportRecord::Contact(contact) => assert_eq!(contact.contact.id, seeded.line_contact),
            ExportRecord::Conversation(conversation) => {
                assert_eq!(conversation.contact, seeded.line_contact);
                conversations.insert(conversation.id);
            }
            ExportRecord::Message(message) => assert!(conversations.contains(&message.conversation)),
            ExportRecord::Note(note) => assert!(conversations.contains(&note.conversation)),
            _ => {}
        }
    }

    if store.orders.is_some() {
        let scope = ExportScope::Contact { contact: seeded.shopee_contact };
        let (bytes, counts) = export_bytes(&store, &seeded.tenant, &scope).await;
        assert_eq!(counts.orders, 1, "the buyer's order, not the order without a buyer");
        assert!(String::from_utf8(bytes).unwrap().contains("TH0123456789"));
    }
    let unknown = ExportScope::Contact { contact: ContactId::new() };
    let error = export(&store, &seeded.tenant, &unknown, at(1_000), &mut Vec::new()).await.expect_err("no contact");
    assert_eq!(error.kind(), ErrorKind::NotFound);
    let theirs = ExportScope::Contact { contact: seeded.messenger_contact };
    let error = export(&store, &seeded.other, &theirs, at(1_000), &mut Vec::new()).await.expect_err("not theirs");
    assert_eq!(error.kind(), ErrorKind::NotFound, "another tenant's contact is not found");
}

/// Replaces line `number` (1-based) of `text` with `line`.
fn with_line(text: &str, number: usize, line: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[number - 1] = line.to_owned();
    lines.join("\n") + "\n"
}

async fn import_error(store: &Store, input: &str) -> unibox_core::Error {
    import(restore_of(store), input.as_bytes()).await.expect_err("the import is refused")
}

/// A malformed line, an unknown schema version, a record of another tenant or one that refers
/// to nothing is `InvalidInput` naming its line, and nothing is written.
pub async fn bad_input_is_a_typed_error_naming_its_line(factory: &dyn StoreFactory) {
    let source = factory.fresh().await;
    let seeded = seed(&source).await;
    let (bytes, _) = export_bytes(&source, &seeded.tenant, &ExportScope::Tenant).await;
    let text = String::from_utf8(bytes).expect("UTF-8");
    let target = factory.fresh().await;

    let error = import_error(&target, &with_line(&text, 3, "{\"type\":\"contact\",")).await;
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.message().starts_with("line 3:"), "{error}");

    let newer = text.replacen("\"schema_version\":1,", "\"schema_version\":99,", 1);
    let error = import_error(&target, &newer).await;
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.message().starts_with("line 1:") && error.message().contains("99"), "{error}");

    let error = import_error(&target, "{\"format\":\"something-else\"}\n").await;
    assert!(error.message().starts_with("line 1:"), "{error}");

    let fourth = text.lines().nth(3).expect("a fourth line");
    let foreign = fourth.replacen("\"export-acme\"", "\"export-globex\"", 1);
    assert_ne!(foreign, fourth, "the record names its tenant");
    let error = import_error(&target, &with_line(&text, 4, &foreign)).await;
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.message().starts_with("line 4:") && error.message().contains("export-globex"), "{error}");

    let (number, message) = text.lines().enumerate().find(|(_, l)| l.starts_with("{\"type\":\"message\"")).unwrap();
    let conversation = serde_json::from_str::<serde_json::Value>(message).unwrap()["conversation"].clone();
    let orphan = message.replace(conversation.as_str().unwrap(), &ConversationId::new().to_string());
    let error = import_error(&target, &with_line(&text, number + 1, &orphan)).await;
    assert_eq!(error.kind(), ErrorKind::InvalidInput);
    assert!(error.message().starts_with(&format!("line {}:", number + 1)), "{error}");

    let error = import_error(&target, "").await;
    assert_eq!(error.kind(), ErrorKind::InvalidInput);

    let (empty, counts) = export_bytes(&target, &seeded.tenant, &ExportScope::Tenant).await;
    assert_eq!(counts.total(), 0, "nothing was written by the refused imports");
    assert_eq!(String::from_utf8(empty).unwrap().lines().count(), 1);
    import(restore_of(&target), text.as_bytes()).await.expect("the intact export still imports");
}

/// Every check above, each on fresh stores of `factory`.
pub async fn run_all(factory: &dyn StoreFactory) {
    export_import_export_is_byte_identical(factory).await;
    a_memory_export_moves_to_this_backend(factory).await;
    an_imported_tenant_keeps_working(factory).await;
    importing_into_a_tenant_with_data_is_a_conflict(factory).await;
    a_contact_export_holds_that_contact_and_nobody_else(factory).await;
    bad_input_is_a_typed_error_naming_its_line(factory).await;
}
