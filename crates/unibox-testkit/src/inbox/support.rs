//! Helpers shared by the checks: panic capture, error-kind assertions, common setups.

use std::any::Any;
use std::fmt::Debug;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::pin;
use std::task::Poll;

use unibox_core::inbox::{ConversationQuery, Cursor, IngestOutcome, MessageQuery, Page, RoutedEvent};
use unibox_core::store::Store;
use unibox_core::{ChannelAccount, Conversation, ErrorKind, Message, Result, TenantId};

use crate::fixtures::{self, AccountEvents};

/// Runs `future`, turning a panic into `Err` with the panic's message.
pub(crate) async fn catch_panic<T>(future: impl Future<Output = T>) -> Result<T, String> {
    let mut future = pin!(future);
    std::future::poll_fn(|cx| match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
        Ok(Poll::Pending) => Poll::Pending,
        Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
        Err(payload) => Poll::Ready(Err(panic_message(payload.as_ref()))),
    })
    .await
}

pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text.to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "panicked with a non-text payload".to_string()
    }
}

/// Unwraps `result`, panicking with `what` and the error.
#[track_caller]
pub(crate) fn ok<T>(result: Result<T>, what: &str) -> T {
    match result {
        Ok(value) => value,
        Err(error) => panic!("{what} failed: {error}"),
    }
}

/// Asserts that `result` failed with `kind`.
#[track_caller]
pub(crate) fn assert_kind<T: Debug>(result: Result<T>, kind: ErrorKind, what: &str) {
    match result {
        Ok(value) => panic!("{what}: expected a {kind} error, got Ok({value:?})"),
        Err(error) => assert_eq!(error.kind(), kind, "{what}: expected a {kind} error, got: {error}"),
    }
}

/// A tenant with one saved account, and an event builder for it.
pub(crate) async fn tenant_with_account(
    store: &Store,
    name: &str,
    make: fn(&TenantId) -> ChannelAccount,
) -> (TenantId, ChannelAccount, AccountEvents) {
    let tenant = fixtures::tenant(name);
    let account = make(&tenant);
    ok(store.accounts.save_account(&account).await, "save_account");
    let events = AccountEvents::new(&account);
    (tenant, account, events)
}

pub(crate) async fn ingest(store: &Store, events: Vec<RoutedEvent>) -> Vec<IngestOutcome> {
    let count = events.len();
    let outcomes = ok(store.ingest.ingest(events).await, "ingest");
    assert_eq!(outcomes.len(), count, "ingest must return one outcome per event");
    outcomes
}

/// The one message an outcome says it stored.
#[track_caller]
pub(crate) fn stored_message(outcome: &IngestOutcome) -> unibox_core::MessageId {
    match outcome {
        IngestOutcome::Stored { message: Some(id), .. } => *id,
        other => panic!("expected a stored message, got {other:?}"),
    }
}

/// Follows a keyset-paginated listing to its end: every item in order, and each page's size.
/// `fetch` gets the cursor of the previous page (`None` first) and returns the next page.
pub(crate) async fn walk_pages<T, Fut>(mut fetch: impl FnMut(Option<Cursor>) -> Fut) -> (Vec<T>, Vec<usize>)
where
    Fut: Future<Output = Result<Page<T>>>,
{
    let (mut items, mut sizes) = (Vec::new(), Vec::new());
    let mut cursor = None;
    loop {
        let page = ok(fetch(cursor).await, "reading a page");
        sizes.push(page.items.len());
        items.extend(page.items);
        match page.next {
            Some(next) => cursor = Some(next),
            None => return (items, sizes),
        }
        assert!(sizes.len() <= 1_000, "pagination does not end: 1000 pages and still a next cursor");
    }
}

/// Every conversation of the tenant matching `query`, following pages.
pub(crate) async fn all_conversations(store: &Store, tenant: &TenantId, query: ConversationQuery) -> Vec<Conversation> {
    walk_pages(|cursor| {
        let query = query.clone().after(cursor);
        async move { store.reads.conversations(tenant, &query).await }
    })
    .await
    .0
}

/// Every message of the conversation, newest first, following pages.
pub(crate) async fn all_messages(
    store: &Store,
    tenant: &TenantId,
    conversation: unibox_core::ConversationId,
) -> Vec<Message> {
    walk_pages(|cursor| {
        let query = MessageQuery::new().limit(unibox_core::inbox::MAX_PAGE_SIZE).before(cursor);
        async move { store.reads.messages(tenant, conversation, &query).await }
    })
    .await
    .0
}

/// The message with this platform id in `messages`.
#[track_caller]
pub(crate) fn by_platform_id<'m>(messages: &'m [Message], platform_id: &str) -> &'m Message {
    messages
        .iter()
        .find(|m| m.platform_message_id.as_deref() == Some(platform_id))
        .unwrap_or_else(|| panic!("no message with platform id {platform_id:?} among {} messages", messages.len()))
}

/// Ingests one text from `customer` and returns the conversation it landed in.
pub(crate) async fn text_in_conversation(
    store: &Store,
    events: &AccountEvents,
    customer: &unibox_core::PlatformUser,
    message_id: &str,
    text: &str,
    at: unibox_core::Timestamp,
) -> unibox_core::ConversationId {
    let outcomes = ingest(store, vec![events.text(&format!("evt-{message_id}"), customer, message_id, text, at)]).await;
    match outcomes[0] {
        IngestOutcome::Stored { conversation: Some(id), .. } => id,
        ref other => panic!("a new message is stored in a conversation, got {other:?}"),
    }
}

/// The ids of `items`, in order.
pub(crate) fn ids<T, I>(items: &[T], id: impl Fn(&T) -> I) -> Vec<I> {
    items.iter().map(id).collect()
}
