//! The retention and erasure suite ([`unibox_core::lifecycle`]): a [`LifecycleJob`] over a
//! hub on a fake clock, against any store with a lifecycle part. Each check takes a fresh
//! store; [`run_all`] runs them and panics naming each check that failed.
//!
//! ```
//! use unibox_core::memory::MemoryStore;
//! # tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap().block_on(async {
//! unibox_testkit::lifecycle::run_all(&|| async { MemoryStore::new().into() }).await;
//! # });
//! ```

use std::sync::Arc;
use std::time::Duration;

use unibox_core::inbox::{ConversationQuery, SearchQuery};
use unibox_core::lifecycle::{LifecycleJob, PurgeCounts, RetentionPolicies, RetentionPolicy};
use unibox_core::privacy::{DeletionRequest, DeletionStatus, PrivacyRequestKind};
use unibox_core::store::Store;
use unibox_core::{
    ChannelAccount, ChannelKind, ContactId, Conversation, ErrorKind, Hub, IdentityKind, InternalNote, ManualClock,
    MessageId, NoteId, PlatformUser, TenantId, Timestamp, TokenSet,
};

use crate::fixtures::{self, AccountEvents};
use crate::harness::StoreFactory;
use crate::inbox::support::{catch_panic, ok};

const DAY: Duration = Duration::from_secs(86_400);

/// "Now" in these checks: 400 days after [`fixtures::BASE_TIME`].
pub fn now() -> Timestamp {
    fixtures::at(400 * 86_400)
}

/// `months` (30 days each) before [`now`].
pub fn months_ago(months: u64) -> Timestamp {
    now().saturating_sub(DAY * 30 * months as u32)
}

/// A hub on a manual clock stopped at [`now`], and the clock.
pub fn hub(store: Store) -> (Hub, ManualClock) {
    let clock = ManualClock::new(now());
    (Hub::builder(store).clock(Arc::new(clock.clone())).build(), clock)
}

/// Saves `account` and ingests one text from `customer` at `at`; returns its conversation.
pub async fn text(
    hub: &Hub,
    account: &ChannelAccount,
    customer: &PlatformUser,
    id: &str,
    body: &str,
    at: Timestamp,
) -> Conversation {
    let store = hub.store();
    ok(store.accounts.save_account(account).await, "save account");
    let event = AccountEvents::new(account).text(&format!("evt-{id}"), customer, id, body, at);
    ok(store.ingest.ingest(vec![event]).await, "ingest");
    let page = ok(store.reads.conversations(&account.tenant, &ConversationQuery::new()).await, "conversations");
    let contact = ok(
        store
            .reads
            .contact_by_identity(
                &account.tenant,
                &unibox_core::ContactIdentity {
                    account: account.id,
                    kind: customer.kind.clone(),
                    value: customer.id.clone(),
                },
            )
            .await,
        "contact by identity",
    )
    .expect("the customer became a contact");
    page.items.into_iter().find(|c| c.account == account.id && c.contact == contact.id).expect("a conversation")
}

async fn message_ids(hub: &Hub, tenant: &TenantId, conversation: &Conversation) -> Vec<MessageId> {
    let page = ok(hub.store().reads.messages(tenant, conversation.id, &Default::default()).await, "messages");
    page.items.iter().map(|m| m.id).collect()
}

async fn found(hub: &Hub, tenant: &TenantId, words: &str) -> usize {
    ok(hub.store().reads.search(tenant, &SearchQuery::new(words)).await, "search").items.len()
}

fn telegram_account(tenant: &TenantId) -> ChannelAccount {
    fixtures::account(tenant, "telegram", ChannelKind::TELEGRAM, "7012345678")
}

/// Thirteen-month-old messages go, eleven-month-old ones stay; a held conversation, a held
/// contact and a channel kept longer keep theirs; the dry run counts exactly what the purge
/// then deletes, and deletes nothing itself. Search no longer finds what was purged.
pub async fn retention_purges_what_is_due_and_nothing_else(store: Store) {
    let (hub, _clock) = hub(store);
    let tenant = fixtures::tenant("retention");
    let line = fixtures::line_account(&tenant);
    let meta = fixtures::messenger_account(&tenant);
    let telegram = telegram_account(&tenant);
    let somchai = fixtures::customer(IdentityKind::LineUserId, 1);
    let held_contact = fixtures::customer(IdentityKind::PageScopedId, 2);
    let held_conversation = fixtures::customer(IdentityKind::LineUserId, 3);
    let telegram_user = PlatformUser::new(IdentityKind::TelegramUserId, "55501").with_name("Niran");

    let expired = text(&hub, &line, &somchai, "m-old", "plantedold thirteen months", months_ago(13)).await;
    text(&hub, &line, &somchai, "m-new", "plantedrecent eleven months", months_ago(11)).await;
    let held_c = text(&hub, &meta, &held_contact, "m-held-contact", "heldcontact words", months_ago(13)).await;
    let held_v = text(&hub, &line, &held_conversation, "m-held-conv", "heldconversation words", months_ago(13)).await;
    text(&hub, &telegram, &telegram_user, "m-tg", "telegramlonger words", months_ago(13)).await;
    let old_note = InternalNote {
        id: NoteId::new(),
        tenant: tenant.clone(),
        conversation: expired.id,
        author: fixtures::user("agent-1"),
        body: "plantednote from last year".into(),
        created_at: months_ago(13),
    };
    ok(hub.store().workflow.add_note(&old_note).await, "old note");

    let policy = RetentionPolicy::default()
        .with_channel("telegram".parse().expect("channel"), DAY * 730)
        .hold_contact(held_c.contact)
        .hold_conversation(held_v.id);
    let job =
        ok(LifecycleJob::new(&hub, RetentionPolicies::default().with_tenant(tenant.clone(), policy)), "job").batch(2);

    let dry = ok(job.purge(&tenant, true).await, "dry run");
    assert_eq!((dry.messages, dry.notes), (1, 1), "the dry run counts the one due message and note: {dry:?}");
    assert_eq!(found(&hub, &tenant, "plantedold").await, 1, "the dry run deleted nothing");
    assert_eq!(message_ids(&hub, &tenant, &expired).await.len(), 2);

    let purged: PurgeCounts = ok(job.purge(&tenant, false).await, "purge");
    assert_eq!(
        (purged.messages, purged.notes),
        (dry.messages, dry.notes),
        "the purge removed what the dry run counted"
    );
    assert_eq!(found(&hub, &tenant, "plantedold").await, 0, "the purged message left the search index");
    assert_eq!(found(&hub, &tenant, "plantedrecent").await, 1, "the eleven-month-old message stays");
    assert_eq!(found(&hub, &tenant, "heldcontact").await, 1, "a held contact keeps its messages");
    assert_eq!(found(&hub, &tenant, "heldconversation").await, 1, "a held conversation keeps its messages");
    assert_eq!(found(&hub, &tenant, "telegramlonger").await, 1, "the channel kept two years keeps its messages");
    assert_eq!(message_ids(&hub, &tenant, &expired).await.len(), 1);
    let notes = ok(hub.store().reads.notes(&tenant, expired.id).await, "notes");
    assert!(notes.is_empty(), "the old note is purged: {notes:?}");

    let again = ok(job.purge(&tenant, true).await, "second dry run");
    assert_eq!((again.messages, again.notes), (0, 0), "nothing more is due");
}

/// One person with a LINE, a Messenger and a Telegram identity (three contacts) is erased
/// everywhere by one request; another customer of the same accounts keeps everything; the
/// request ends completed with its completion time; the audit trail records the erasure by
/// the request's code and still verifies.
pub async fn contact_erasure_spans_every_channel_identity(store: Store) {
    let (hub, clock) = hub(store);
    let tenant = fixtures::tenant("erasure");
    let line = fixtures::line_account(&tenant);
    let meta = fixtures::messenger_account(&tenant);
    let telegram = telegram_account(&tenant);
    let person = [
        (&line, fixtures::customer(IdentityKind::LineUserId, 7)),
        (&meta, fixtures::customer(IdentityKind::PageScopedId, 7)),
        (&telegram, PlatformUser::new(IdentityKind::TelegramUserId, "77707").with_name("Pimchanok")),
    ];
    let mut contacts: Vec<ContactId> = Vec::new();
    let mut conversations = Vec::new();
    for (n, (account, user)) in person.iter().enumerate() {
        let conversation = text(
            &hub,
            account,
            user,
            &format!("p-{n}"),
            &format!("erasemeplease{n} 0812345678"),
            days_ago(n as u32 + 1),
        )
        .await;
        contacts.push(conversation.contact);
        conversations.push(conversation);
    }
    let other =
        text(&hub, &line, &fixtures::customer(IdentityKind::LineUserId, 8), "o-1", "keepme please", now()).await;
    let job = ok(LifecycleJob::new(&hub, RetentionPolicies::default()), "job").batch(1);

    let request = ok(job.request_contact_erasure(&tenant, contacts.clone()).await, "request");
    assert_eq!(request.status, DeletionStatus::Received);
    assert_eq!(
        job.request_contact_erasure(&tenant, Vec::new()).await.map(|_| ()).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    clock.advance(DAY);
    let report = ok(job.run_once().await, "run");
    assert!(report.completed.iter().any(|r| r.confirmation_code == request.confirmation_code), "{report:?}");
    let done = ok(
        hub.store().deletion_requests.as_ref().expect("requests").get(&tenant, &request.confirmation_code).await,
        "get",
    )
    .expect("the request stays");
    assert_eq!(done.status, DeletionStatus::Completed);
    assert_eq!(done.completed_at(), Some(now().saturating_add(DAY)));

    for (contact, conversation) in contacts.iter().zip(&conversations) {
        let gone = hub.store().reads.contact(&tenant, *contact).await.map(|_| ());
        assert_eq!(gone.unwrap_err().kind(), ErrorKind::NotFound, "the contact is erased");
        let gone = hub.store().reads.conversation(&tenant, conversation.id).await.map(|_| ());
        assert_eq!(gone.unwrap_err().kind(), ErrorKind::NotFound, "its conversation is erased");
    }
    for n in 0..3 {
        assert_eq!(found(&hub, &tenant, &format!("erasemeplease{n}")).await, 0, "message {n} left the index");
    }
    assert_eq!(found(&hub, &tenant, "0812345678").await, 0);
    assert_eq!(found(&hub, &tenant, "keepme").await, 1, "the other customer keeps their message");
    ok(hub.store().reads.conversation(&tenant, other.id).await, "the other conversation stays");

    let window =
        unibox_core::analytics::AnalyticsQuery::new(now().saturating_sub(DAY * 10), now().saturating_add(DAY * 2));
    let report = ok(hub.store().analytics.report(&tenant, &window).await, "analytics");
    assert_eq!(report.totals.messages_in, 4, "the anonymous tallies still count the erased messages");

    let trail = &hub.store().audit;
    let verification = ok(trail.verify(&tenant).await, "verify");
    assert!(verification.tamper.is_none(), "the audit chain verifies after the erasure: {:?}", verification.tamper);
    let records = ok(
        trail
            .query(&tenant, &unibox_core::audit::AuditQuery::new().action(unibox_core::audit::actions::DATA_ERASE))
            .await,
        "audit query",
    );
    assert_eq!(records.items.len(), 1, "one erasure record");
    assert_eq!(records.items[0].record.target, format!("deletion_request:{}", request.confirmation_code));
}

/// The reactions on the message with platform id `platform_id` in `conversation`: (who, emoji).
async fn reactions_on(
    hub: &Hub,
    tenant: &TenantId,
    conversation: &Conversation,
    platform_id: &str,
) -> Vec<(String, String)> {
    let page = ok(hub.store().reads.messages(tenant, conversation.id, &Default::default()).await, "messages");
    let message = page
        .items
        .into_iter()
        .find(|m| m.platform_message_id.as_deref() == Some(platform_id))
        .unwrap_or_else(|| panic!("message {platform_id} is in its conversation"));
    message.reactions.into_iter().map(|r| (r.by, r.emoji)).collect()
}

/// A person who reacted to another customer's messages (a group chat: one message already
/// stored, one that arrives only after the erasure, so the reaction waited for it) is erased:
/// both reactions are gone, the other customer's reactions and messages stay.
pub async fn contact_erasure_removes_the_persons_reactions_on_other_conversations(store: Store) {
    let (hub, clock) = hub(store);
    let tenant = fixtures::tenant("reactions");
    let line = fixtures::line_account(&tenant);
    let person = fixtures::customer(IdentityKind::LineUserId, 5);
    let other = fixtures::customer(IdentityKind::LineUserId, 6);
    let own = text(&hub, &line, &person, "r-p", "personsmessage words", days_ago(3)).await;
    let others = text(&hub, &line, &other, "r-o", "otherscustomer words", days_ago(3)).await;
    assert_ne!(own.id, others.id, "two conversations");
    let events = AccountEvents::new(&line);
    let reactions = vec![
        events.reaction("evt-r-1", &person, "r-o", Some("\u{2764}"), days_ago(2)),
        events.reaction("evt-r-2", &other, "r-o", Some("\u{1f44d}"), days_ago(2)),
        // To a message not stored yet: kept until it arrives.
        events.reaction("evt-r-3", &person, "r-o2", Some("\u{2764}"), days_ago(2)),
        events.reaction("evt-r-4", &other, "r-o2", Some("\u{1f44d}"), days_ago(2)),
    ];
    ok(hub.store().ingest.ingest(reactions).await, "ingest reactions");
    let before = reactions_on(&hub, &tenant, &others, "r-o").await;
    assert_eq!(before.len(), 2, "both customers reacted: {before:?}");

    let job = ok(LifecycleJob::new(&hub, RetentionPolicies::default()), "job").batch(1);
    let request = ok(job.request_contact_erasure(&tenant, vec![own.contact]).await, "request");
    clock.advance(DAY);
    let report = ok(job.run_once().await, "run");
    assert!(report.completed.iter().any(|r| r.confirmation_code == request.confirmation_code), "{report:?}");

    let gone = hub.store().reads.contact(&tenant, own.contact).await.map(|_| ());
    assert_eq!(gone.unwrap_err().kind(), ErrorKind::NotFound, "the person is erased");
    ok(hub.store().reads.conversation(&tenant, others.id).await, "the other conversation stays");
    assert_eq!(
        reactions_on(&hub, &tenant, &others, "r-o").await,
        [(other.id.clone(), "\u{1f44d}".to_owned())],
        "the person's reaction to the other customer's message is gone, the other's stays"
    );
    assert_eq!(found(&hub, &tenant, "otherscustomer").await, 1, "the other customer's message stays");

    // The message the person's reaction waited for arrives after the erasure.
    let later = vec![events.text("evt-r-o2", &other, "r-o2", "arrivedlater words", days_ago(1))];
    ok(hub.store().ingest.ingest(later).await, "ingest the later message");
    assert_eq!(
        reactions_on(&hub, &tenant, &others, "r-o2").await,
        [(other.id.clone(), "\u{1f44d}".to_owned())],
        "the person's waiting reaction was erased too"
    );
}

/// A person's edit and unsend of messages that have not arrived yet wait for them; erasing the
/// person erases what waits too: when those messages arrive after the erasure (a platform's late
/// delivery), they show as sent, neither edited nor unsent, and the edited text is nowhere.
pub async fn contact_erasure_removes_the_persons_changes_waiting_for_their_messages(store: Store) {
    let (hub, clock) = hub(store);
    let tenant = fixtures::tenant("waiting");
    let line = fixtures::line_account(&tenant);
    let person = fixtures::customer(IdentityKind::LineUserId, 7);
    let own = text(&hub, &line, &person, "w-1", "firstmessage words", days_ago(3)).await;
    let events = AccountEvents::new(&line);
    let waiting = vec![
        events.edit("evt-w-2e", &person, "w-2", "editedsecret words", days_ago(2)),
        events.unsend("evt-w-3u", &person, "w-3", days_ago(2)),
    ];
    ok(hub.store().ingest.ingest(waiting).await, "ingest the changes that wait for their messages");

    let job = ok(LifecycleJob::new(&hub, RetentionPolicies::default()), "job").batch(1);
    let request = ok(job.request_contact_erasure(&tenant, vec![own.contact]).await, "request");
    clock.advance(DAY);
    let report = ok(job.run_once().await, "run");
    assert!(report.completed.iter().any(|r| r.confirmation_code == request.confirmation_code), "{report:?}");

    // The messages the changes waited for arrive after the erasure.
    let late = vec![
        events.text("evt-w-2", &person, "w-2", "originalsecond words", days_ago(3)),
        events.text("evt-w-3", &person, "w-3", "originalthird words", days_ago(3)),
    ];
    ok(hub.store().ingest.ingest(late).await, "ingest the late messages");
    assert_eq!(found(&hub, &tenant, "editedsecret").await, 0, "the waiting edit's text was erased");
    assert_eq!(found(&hub, &tenant, "originalsecond").await, 1, "the late message keeps its own text");
    let conversations = ok(hub.store().reads.conversations(&tenant, &ConversationQuery::new()).await, "conversations");
    let conversation = conversations.items.into_iter().find(|c| c.account == line.id).expect("a new conversation");
    let page = ok(hub.store().reads.messages(&tenant, conversation.id, &Default::default()).await, "messages");
    for id in ["w-2", "w-3"] {
        let message = page
            .items
            .iter()
            .find(|m| m.platform_message_id.as_deref() == Some(id))
            .unwrap_or_else(|| panic!("message {id} arrived"));
        assert_eq!(message.edited_at, None, "{id}: the waiting edit was erased");
        assert_eq!(message.unsent_at, None, "{id}: the waiting unsend was erased");
    }
}

fn days_ago(days: u32) -> Timestamp {
    now().saturating_sub(DAY * days)
}

/// A Meta app-scoped user id, linked to a contact and named by a request.
const META_USER: &str = "5810293746102938";

/// Deleting a tenant destroys its keys at once (its tokens are unreadable), then a pass
/// deletes every row and completes the request, also when another request of the tenant (a
/// deauthorization naming a Meta user) stays pending; another tenant keeps everything.
pub async fn tenant_deletion_shreds_at_once_and_deletes_every_row(store: Store) {
    let (hub, clock) = hub(store);
    let gone = fixtures::tenant("leaving");
    let staying = fixtures::tenant("staying");
    let gone_line = fixtures::line_account(&gone);
    let staying_line = fixtures::account(&staying, "line-2", ChannelKind::LINE, "Ub-staying");
    let user = fixtures::customer(IdentityKind::LineUserId, 9);
    let leaving = text(&hub, &gone_line, &user, "g-1", "leavingtenant words", now()).await;
    text(&hub, &staying_line, &user, "s-1", "stayingtenant words", now()).await;
    for (tenant, account) in [(&gone, &gone_line), (&staying, &staying_line)] {
        ok(hub.store().tokens.put(tenant, account.id, TokenSet::new("token-value")).await, "put token");
    }
    // A Meta user linked to the contact, who removed the app: a request that stays pending.
    let requests = hub.store().deletion_requests.clone().expect("a store with a lifecycle part records requests");
    ok(requests.link_platform_user(&gone, "meta", META_USER, leaving.contact).await, "link");
    let deauthorized = DeletionRequest {
        tenant: gone.clone(),
        confirmation_code: "de0a17ed".into(),
        kind: PrivacyRequestKind::Deauthorization,
        platform: "meta".into(),
        platform_user_id: META_USER.into(),
        contacts: Vec::new(),
        status: DeletionStatus::Received,
        requested_at: now(),
        updated_at: now(),
    };
    ok(requests.open(deauthorized).await, "deauthorization");
    let job = ok(LifecycleJob::new(&hub, RetentionPolicies::default()), "job").batch(3);

    let request = ok(job.request_tenant_deletion(&gone).await, "request deletion");
    assert_eq!(request.kind, PrivacyRequestKind::TenantDeletion);
    let token = hub.store().tokens.get(&gone, gone_line.id).await;
    assert!(!matches!(token, Ok(Some(_))), "the tenant's tokens are unreadable at once");
    let again = ok(job.request_tenant_deletion(&gone).await, "request again");
    assert_eq!(again.confirmation_code, request.confirmation_code, "a second request returns the pending one");

    clock.advance(DAY * 31);
    let report = ok(job.run_once().await, "run");
    assert!(report.completed.iter().any(|r| r.kind == PrivacyRequestKind::TenantDeletion), "{report:?}");
    let done = ok(
        hub.store().deletion_requests.as_ref().expect("requests").get(&gone, &request.confirmation_code).await,
        "get",
    )
    .expect("the request is kept as the record of the deletion");
    assert_eq!(done.status, DeletionStatus::Completed);
    assert!(done.completed_at().is_some());
    assert!(ok(hub.store().accounts.accounts(&gone).await, "accounts").is_empty(), "no account is left");
    assert!(ok(hub.store().reads.conversations(&gone, &ConversationQuery::new()).await, "list").items.is_empty());
    assert_eq!(found(&hub, &gone, "leavingtenant").await, 0);
    let kept = ok(requests.get(&gone, "de0a17ed").await, "get the deauthorization").expect("requests are kept");
    assert_eq!(kept.kind, PrivacyRequestKind::Deauthorization, "it reads after the tenant's keys were destroyed");
    assert!(ok(requests.linked_contacts(&gone, "meta", META_USER).await, "links").is_empty(), "links are deleted");

    assert_eq!(found(&hub, &staying, "stayingtenant").await, 1, "the other tenant keeps its messages");
    let token = ok(hub.store().tokens.get(&staying, staying_line.id).await, "other token");
    assert!(token.is_some(), "the other tenant keeps its tokens");
    assert!(ok(hub.store().audit.verify(&staying).await, "verify").tamper.is_none());
}

/// One check of the suite.
type Check = fn(Store) -> crate::inbox::BoxFuture<'static, ()>;

/// How many checks [`run_all`] runs (each on a fresh store).
///
/// ```
/// assert!(unibox_testkit::lifecycle::CHECKS >= 5);
/// ```
pub const CHECKS: usize = 5;

/// Runs every check on a fresh store from `factory` (its bundle must have a lifecycle part);
/// panics naming each check that failed.
pub async fn run_all(factory: &dyn StoreFactory) {
    let mut failures = Vec::new();
    let checks: [(&str, Check); CHECKS] = [
        ("retention_purges_what_is_due_and_nothing_else", |s| {
            Box::pin(retention_purges_what_is_due_and_nothing_else(s))
        }),
        ("contact_erasure_spans_every_channel_identity", |s| Box::pin(contact_erasure_spans_every_channel_identity(s))),
        ("contact_erasure_removes_the_persons_reactions_on_other_conversations", |s| {
            Box::pin(contact_erasure_removes_the_persons_reactions_on_other_conversations(s))
        }),
        ("contact_erasure_removes_the_persons_changes_waiting_for_their_messages", |s| {
            Box::pin(contact_erasure_removes_the_persons_changes_waiting_for_their_messages(s))
        }),
        ("tenant_deletion_shreds_at_once_and_deletes_every_row", |s| {
            Box::pin(tenant_deletion_shreds_at_once_and_deletes_every_row(s))
        }),
    ];
    for (name, check) in checks {
        let store = factory.fresh().await;
        if let Err(message) = catch_panic(check(store)).await {
            failures.push(format!("{name}: {message}"));
        }
    }
    assert!(failures.is_empty(), "lifecycle checks failed:\n- {}", failures.join("\n- "));
}
