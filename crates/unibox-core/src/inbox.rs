//! The [`Inbox`] port: where conversations live. Memory and SQLite implement it; an
//! integrator's backend runs `unibox_testkit::inbox` to prove it behaves the same.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use uuid::Uuid;

use crate::{
    Author, ChannelAccount, ChannelAccountId, ChannelId, Contact, ContactId, ContactIdentity, Content, Conversation,
    ConversationId, ConversationStatus, DeliveryStatus, Error, ErrorKind, InboundEvent, InternalNote, Message,
    MessageId, Result, TenantId, Timestamp, UserId,
};

/// An inbound event after routing: the tenant and channel account it belongs to are known.
#[derive(Clone, Debug, PartialEq)]
pub struct RoutedEvent {
    /// The tenant that owns the account.
    pub tenant: TenantId,
    /// The account the event belongs to.
    pub account: ChannelAccountId,
    /// When unibox received it.
    pub received_at: Timestamp,
    /// The event.
    pub event: InboundEvent,
}

/// What ingesting one event did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IngestOutcome {
    /// The event was stored for the first time.
    Stored {
        /// The conversation it touched, if any.
        conversation: Option<ConversationId>,
        /// The message it created or changed, if any.
        message: Option<MessageId>,
    },
    /// The same event (or the same platform message) was stored before; nothing changed.
    Duplicate,
}

/// What accepting one event did (see [`Inbox::accept`]).
///
/// ```
/// use unibox_core::inbox::{Acceptance, IngestOutcome};
/// assert_eq!(Acceptance::from(IngestOutcome::Duplicate), Acceptance::Duplicate);
/// assert_eq!(Acceptance::from(IngestOutcome::Stored { conversation: None, message: None }), Acceptance::Accepted);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acceptance {
    /// The event is durably stored for the first time; reads starting from now on see it applied.
    Accepted,
    /// An event with the same id was accepted or stored before; nothing changed.
    Duplicate,
}

impl From<IngestOutcome> for Acceptance {
    fn from(outcome: IngestOutcome) -> Self {
        match outcome {
            IngestOutcome::Stored { .. } => Acceptance::Accepted,
            IngestOutcome::Duplicate => Acceptance::Duplicate,
        }
    }
}

/// An opaque position in a keyset-paginated listing. Pass [`Page::next`] back to continue.
/// It prints as a short string, so it can travel through a URL.
///
/// ```
/// use unibox_core::inbox::Cursor;
/// let cursor = Cursor::new(unibox_core::Timestamp::from_unix_millis(42), uuid::Uuid::nil());
/// let text = cursor.to_string();
/// assert_eq!(text.parse::<Cursor>().unwrap(), cursor);
/// assert!("garbage".parse::<Cursor>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// The sort key of the last item returned.
    pub at: Timestamp,
    /// The id of the last item returned (ties on `at` are broken by id).
    pub id: Uuid,
}

impl Cursor {
    /// A cursor after the item with this sort key and id.
    pub fn new(at: Timestamp, id: Uuid) -> Self {
        Cursor { at, id }
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.at.as_unix_millis(), self.id.simple())
    }
}

impl FromStr for Cursor {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let invalid =
            || Error::new(ErrorKind::InvalidInput, "invalid page cursor; pass back the `next` value of a page");
        let (at, id) = s.split_once('.').ok_or_else(invalid)?;
        let at = at.parse::<i64>().map_err(|_| invalid())?;
        let id = Uuid::try_parse(id).map_err(|_| invalid())?;
        Ok(Cursor { at: Timestamp::from_unix_millis(at), id })
    }
}

/// One page of a listing.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Where the next page starts, or `None` on the last page.
    pub next: Option<Cursor>,
}

/// The default page size.
pub const DEFAULT_PAGE_SIZE: usize = 50;
/// The largest page size a backend must serve.
pub const MAX_PAGE_SIZE: usize = 500;

fn check_limit(limit: usize) -> Result<()> {
    if limit == 0 || limit > MAX_PAGE_SIZE {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            format!("page size must be 1 to {MAX_PAGE_SIZE}, got {limit}"),
        ));
    }
    Ok(())
}

/// Which assignee a conversation listing wants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssigneeFilter {
    /// Conversations nobody works.
    Unassigned,
    /// Conversations this user works.
    User(UserId),
}

/// A conversation listing: filters, page size and position. Results are ordered by last
/// activity, newest first.
///
/// ```
/// use unibox_core::inbox::ConversationQuery;
/// use unibox_core::ConversationStatus;
/// let query = ConversationQuery::new().status(ConversationStatus::Open).unread_only().limit(20);
/// assert!(query.validate().is_ok());
/// assert!(ConversationQuery::new().limit(0).validate().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationQuery {
    /// Only this status.
    pub status: Option<ConversationStatus>,
    /// Only this channel account.
    pub account: Option<ChannelAccountId>,
    /// Only this contact's conversations (one per channel account they wrote on).
    pub contact: Option<ContactId>,
    /// Only this assignee (or only unassigned).
    pub assignee: Option<AssigneeFilter>,
    /// Only conversations with this tag.
    pub tag: Option<String>,
    /// Only conversations with unread messages.
    pub unread_only: bool,
    /// Page size, 1 to [`MAX_PAGE_SIZE`].
    pub limit: usize,
    /// Continue after this position.
    pub after: Option<Cursor>,
}

impl Default for ConversationQuery {
    fn default() -> Self {
        ConversationQuery {
            status: None,
            account: None,
            contact: None,
            assignee: None,
            tag: None,
            unread_only: false,
            limit: DEFAULT_PAGE_SIZE,
            after: None,
        }
    }
}

impl ConversationQuery {
    /// All conversations, first page of [`DEFAULT_PAGE_SIZE`].
    pub fn new() -> Self {
        Self::default()
    }
    /// Only this status.
    pub fn status(mut self, status: ConversationStatus) -> Self {
        self.status = Some(status);
        self
    }
    /// Only this account.
    pub fn account(mut self, account: ChannelAccountId) -> Self {
        self.account = Some(account);
        self
    }
    /// Only this contact's conversations.
    pub fn contact(mut self, contact: ContactId) -> Self {
        self.contact = Some(contact);
        self
    }
    /// Only this assignee filter.
    pub fn assignee(mut self, assignee: AssigneeFilter) -> Self {
        self.assignee = Some(assignee);
        self
    }
    /// Only this tag.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }
    /// Only unread conversations.
    pub fn unread_only(mut self) -> Self {
        self.unread_only = true;
        self
    }
    /// The page size.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }
    /// Continue after a cursor.
    pub fn after(mut self, cursor: Option<Cursor>) -> Self {
        self.after = cursor;
        self
    }
    /// Checks the page size.
    pub fn validate(&self) -> Result<()> {
        check_limit(self.limit)
    }
}

/// A page of a conversation's messages, newest first; `before` continues towards older ones.
///
/// ```
/// use unibox_core::inbox::MessageQuery;
/// assert_eq!(MessageQuery::new().limit(10).limit, 10);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageQuery {
    /// Page size, 1 to [`MAX_PAGE_SIZE`].
    pub limit: usize,
    /// Continue with messages older than this position.
    pub before: Option<Cursor>,
}

impl Default for MessageQuery {
    fn default() -> Self {
        MessageQuery { limit: DEFAULT_PAGE_SIZE, before: None }
    }
}

impl MessageQuery {
    /// The newest [`DEFAULT_PAGE_SIZE`] messages.
    pub fn new() -> Self {
        Self::default()
    }
    /// The page size.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }
    /// Continue before a cursor.
    pub fn before(mut self, cursor: Option<Cursor>) -> Self {
        self.before = cursor;
        self
    }
    /// Checks the page size.
    pub fn validate(&self) -> Result<()> {
        check_limit(self.limit)
    }
}

/// A full-text search over one tenant's messages, newest first.
///
/// Every whitespace-separated term must occur in the message's text, case-insensitively, as
/// a substring: that works for languages written without spaces (Thai, Chinese, Japanese).
///
/// ```
/// use unibox_core::inbox::SearchQuery;
/// assert_eq!(SearchQuery::new("refund order").terms(), vec!["refund", "order"]);
/// assert!(SearchQuery::new("   ").validate().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchQuery {
    /// The search text.
    pub text: String,
    /// Page size, 1 to [`MAX_PAGE_SIZE`].
    pub limit: usize,
    /// Continue with older matches.
    pub before: Option<Cursor>,
}

impl SearchQuery {
    /// A search for `text`, first page.
    pub fn new(text: impl Into<String>) -> Self {
        SearchQuery { text: text.into(), limit: DEFAULT_PAGE_SIZE, before: None }
    }
    /// The page size.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }
    /// Continue before a cursor.
    pub fn before(mut self, cursor: Option<Cursor>) -> Self {
        self.before = cursor;
        self
    }
    /// The terms, as typed.
    pub fn terms(&self) -> Vec<&str> {
        self.text.split_whitespace().collect()
    }
    /// Checks the text and page size.
    pub fn validate(&self) -> Result<()> {
        check_limit(self.limit)?;
        if self.terms().is_empty() {
            return Err(Error::new(ErrorKind::InvalidInput, "search text is empty"));
        }
        if self.text.len() > 1024 {
            return Err(Error::new(ErrorKind::InvalidInput, "search text is longer than 1024 bytes"));
        }
        Ok(())
    }
}

/// The longest tag [`ConversationUpdate`] accepts, in bytes.
pub const MAX_TAG_LEN: usize = 64;
/// The most tags a conversation can carry.
pub const MAX_TAGS: usize = 50;

/// A change to a conversation's workflow fields, for [`Inbox::update_conversation`]. Fields
/// left unset keep their value.
///
/// Every backend applies it with [`ConversationUpdate::apply`], so they agree on the details:
/// any status other than snoozed clears `snoozed_until`, tags are trimmed, sorted and unique,
/// and marking read sets the unread count to zero.
///
/// ```
/// use unibox_core::inbox::ConversationUpdate;
/// use unibox_core::{ConversationStatus, Timestamp};
/// let update = ConversationUpdate::new().status(ConversationStatus::Resolved).tags(["vip", "refund"]).mark_read();
/// assert!(update.validate().is_ok());
/// assert!(ConversationUpdate::new().status(ConversationStatus::Snoozed).validate().is_err());
/// assert!(ConversationUpdate::new().snooze(Timestamp::from_unix_seconds(60)).validate().is_ok());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConversationUpdate {
    /// The new status. [`ConversationStatus::Snoozed`] requires `snoozed_until`.
    pub status: Option<ConversationStatus>,
    /// When a snoozed conversation wakes up; only with [`ConversationStatus::Snoozed`].
    pub snoozed_until: Option<Timestamp>,
    /// The new assignee: `Some(None)` unassigns.
    pub assignee: Option<Option<UserId>>,
    /// The new tags, replacing the old ones.
    pub tags: Option<Vec<String>>,
    /// Sets the unread count to zero.
    pub mark_read: bool,
    /// When the change happens by the caller's clock (the hub's); the change log records it, and
    /// analytics measures from it. `None`: the store's clock.
    pub at: Option<Timestamp>,
}

impl ConversationUpdate {
    /// An update that changes nothing yet.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the status (use [`snooze`](Self::snooze) to snooze).
    pub fn status(mut self, status: ConversationStatus) -> Self {
        self.status = Some(status);
        self
    }
    /// Snoozes until `until`.
    pub fn snooze(mut self, until: Timestamp) -> Self {
        self.status = Some(ConversationStatus::Snoozed);
        self.snoozed_until = Some(until);
        self
    }
    /// Assigns the conversation to `user`.
    pub fn assign(mut self, user: UserId) -> Self {
        self.assignee = Some(Some(user));
        self
    }
    /// Removes the assignee.
    pub fn unassign(mut self) -> Self {
        self.assignee = Some(None);
        self
    }
    /// Replaces the tags.
    pub fn tags<I, S>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tags = Some(tags.into_iter().map(Into::into).collect());
        self
    }
    /// Marks every message read.
    pub fn mark_read(mut self) -> Self {
        self.mark_read = true;
        self
    }
    /// Says when the change happens (the caller's clock).
    pub fn at(mut self, at: Timestamp) -> Self {
        self.at = Some(at);
        self
    }
    /// Checks the snooze time and the tags.
    pub fn validate(&self) -> Result<()> {
        let snoozing = self.status == Some(ConversationStatus::Snoozed);
        if snoozing != self.snoozed_until.is_some() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "a snooze needs a wake-up time, and only a snooze has one",
            ));
        }
        if let Some(tags) = &self.tags {
            if tags.len() > MAX_TAGS {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!("a conversation carries at most {MAX_TAGS} tags"),
                ));
            }
            for tag in tags {
                let tag = tag.trim();
                if tag.is_empty() || tag.len() > MAX_TAG_LEN {
                    return Err(Error::new(
                        ErrorKind::InvalidInput,
                        format!("tags must be 1 to {MAX_TAG_LEN} bytes long"),
                    ));
                }
            }
        }
        Ok(())
    }
    /// Validates the update and applies it to `conversation`.
    ///
    /// ```
    /// # use unibox_core::inbox::ConversationUpdate;
    /// # fn show(conversation: &mut unibox_core::Conversation) -> unibox_core::Result<()> {
    /// ConversationUpdate::new().tags([" vip", "vip", "refund"]).apply(conversation)?;
    /// assert_eq!(conversation.tags, vec!["refund", "vip"]);
    /// # Ok(()) }
    /// ```
    pub fn apply(&self, conversation: &mut Conversation) -> Result<()> {
        self.validate()?;
        if let Some(status) = self.status {
            conversation.status = status;
            conversation.snoozed_until = self.snoozed_until;
        }
        if let Some(assignee) = &self.assignee {
            conversation.assignee = assignee.clone();
        }
        if let Some(tags) = &self.tags {
            let mut tags: Vec<String> = tags.iter().map(|t| t.trim().to_string()).collect();
            tags.sort();
            tags.dedup();
            conversation.tags = tags;
        }
        if self.mark_read {
            conversation.unread_count = 0;
        }
        Ok(())
    }
}

/// An outbound message to record before it is sent.
#[derive(Clone, Debug, PartialEq)]
pub struct OutboundDraft {
    /// The id to give the message (the hub makes a new one; it doubles as idempotency key).
    pub id: MessageId,
    /// The conversation.
    pub conversation: ConversationId,
    /// Who is sending.
    pub author: Author,
    /// What.
    pub content: Content,
    /// The platform id of the message replied to.
    pub reply_to: Option<String>,
    /// When it was recorded.
    pub at: Timestamp,
}

impl OutboundDraft {
    /// The message an [`Inbox`] records for this draft: outbound, [`DeliveryStatus::Queued`],
    /// not yet known to the platform. Every backend builds it here, so they record the same thing.
    ///
    /// ```
    /// use unibox_core::inbox::OutboundDraft;
    /// use unibox_core::{Author, ChannelAccountId, Content, ConversationId, DeliveryStatus, MessageId, Timestamp};
    /// let draft = OutboundDraft {
    ///     id: MessageId::new(),
    ///     conversation: ConversationId::new(),
    ///     author: Author::System,
    ///     content: Content::text("Your order shipped."),
    ///     reply_to: None,
    ///     at: Timestamp::from_unix_seconds(1_732_170_000),
    /// };
    /// let message = draft.into_queued_message("acme".parse().unwrap(), ChannelAccountId::new());
    /// assert_eq!(message.delivery, DeliveryStatus::Queued);
    /// assert!(message.platform_message_id.is_none());
    /// ```
    pub fn into_queued_message(self, tenant: TenantId, account: ChannelAccountId) -> Message {
        Message {
            id: self.id,
            tenant,
            conversation: self.conversation,
            account,
            direction: crate::Direction::Outbound,
            author: self.author,
            content: self.content,
            platform_message_id: None,
            reply_to: self.reply_to,
            sent_at: self.at,
            recorded_at: self.at,
            edited_at: None,
            unsent_at: None,
            delivery: DeliveryStatus::Queued,
            reactions: Vec::new(),
        }
    }
}

/// Where conversations, contacts and messages are stored, per tenant.
///
/// Every method that takes a [`TenantId`] sees only that tenant's data: an id belonging to
/// another tenant is [`ErrorKind::NotFound`], exactly as if it did not exist.
///
/// # Ingest semantics
///
/// [`ingest`](Inbox::ingest) is idempotent and order-independent: delivering the same events
/// any number of times, in any order, leaves the same state.
///
/// - An event whose `(tenant, account, event id)` was stored before is a
///   [`IngestOutcome::Duplicate`]; so is a message whose platform message id is already stored.
/// - A message finds or creates the contact by identity and the conversation of that contact on
///   that account; an inbound message reopens a resolved or snoozed conversation, counts as
///   unread, and moves `last_inbound_at`. `last_activity_at` is the newest message time.
/// - Edits, unsends, reactions and delivery receipts apply to the message with that platform id.
///   If it is not stored yet, they are kept and applied when it arrives. The latest edit (by
///   time, then event id) wins; an unsend erases the content for good; statuses merge with
///   [`DeliveryStatus::merge`]; the latest reaction per customer wins.
/// - A postback becomes an inbound message with [`Content::Postback`].
/// - Authorization-revoked marks the account as needing reauthorization.
/// - Every other event is kept in the event log, never dropped.
///
/// When `ingest` returns `Ok`, every event of the call is durably committed, atomically.
#[async_trait]
pub trait Inbox: Send + Sync + fmt::Debug + 'static {
    /// Creates or replaces a channel account. Fails with `Conflict` when another account of the
    /// same channel already has the platform account id.
    async fn save_account(&self, account: &ChannelAccount) -> Result<()>;

    /// One of the tenant's accounts.
    async fn account(&self, tenant: &TenantId, id: ChannelAccountId) -> Result<ChannelAccount>;

    /// All of the tenant's accounts.
    async fn accounts(&self, tenant: &TenantId) -> Result<Vec<ChannelAccount>>;

    /// Finds the account a webhook event belongs to, by the channel it arrived on and the
    /// platform's account id. This is the one lookup across tenants: it is how events are routed.
    async fn route(&self, channel: &ChannelId, platform_account_id: &str) -> Result<Option<ChannelAccount>>;

    /// Stores routed events; see the trait docs for the semantics. One outcome per event.
    async fn ingest(&self, events: Vec<RoutedEvent>) -> Result<Vec<IngestOutcome>>;

    /// Durably accepts routed events, to be applied to the inbox shortly after: the fast path
    /// a webhook is acknowledged on. One outcome per event.
    ///
    /// The contract, beyond [`ingest`](Inbox::ingest)'s validation and atomicity:
    ///
    /// - When `accept` returns `Ok`, every event of the call is durably committed and will be
    ///   applied exactly as `ingest` would apply it, even if the process dies right after.
    /// - Every read that starts after `accept` returned sees its events applied (a backend may
    ///   make such a read wait for them).
    /// - An event id accepted or ingested before is an [`Acceptance::Duplicate`]. Other
    ///   duplicates (the same platform message under a new event id) are only recognised when
    ///   the event is applied.
    ///
    /// The default applies the events at once with `ingest`, which keeps that contract; a
    /// backend whose writes are costly overrides it with a journal (SQLite does: see
    /// `unibox-store-sqlite`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> unibox_core::Result<()> {
    /// use unibox_core::inbox::{Acceptance, Inbox};
    /// let inbox = unibox_core::memory::MemoryInbox::new();
    /// assert!(inbox.accept(Vec::new()).await?.is_empty());
    /// # Ok(())
    /// # }
    /// ```
    async fn accept(&self, events: Vec<RoutedEvent>) -> Result<Vec<Acceptance>> {
        let outcomes = self.ingest(events).await?;
        Ok(outcomes.into_iter().map(Acceptance::from).collect())
    }

    /// Whether [`accept`](Inbox::accept) takes events now: `Err` with the temporary error it
    /// would fail with while it refuses every call whatever the events, such as
    /// [`ErrorKind::StorageFull`](crate::ErrorKind::StorageFull) while the disk is short of
    /// room. Cheap (no write, at most a look at the free space): readiness checks call it.
    /// The default, for a store that never refuses ahead of a write, is `Ok`.
    ///
    /// ```
    /// use unibox_core::inbox::Inbox;
    /// let inbox = unibox_core::memory::MemoryInbox::new();
    /// assert!(inbox.accepting().is_ok());
    /// ```
    fn accepting(&self) -> Result<()> {
        Ok(())
    }

    /// Lists conversations, newest activity first.
    async fn conversations(&self, tenant: &TenantId, query: &ConversationQuery) -> Result<Page<Conversation>>;

    /// One conversation.
    async fn conversation(&self, tenant: &TenantId, id: ConversationId) -> Result<Conversation>;

    /// A conversation's messages, newest first.
    async fn messages(
        &self,
        tenant: &TenantId,
        conversation: ConversationId,
        query: &MessageQuery,
    ) -> Result<Page<Message>>;

    /// One message.
    async fn message(&self, tenant: &TenantId, id: MessageId) -> Result<Message>;

    /// The messages with these ids that exist in the tenant, in the order given (the others
    /// are left out): a reader of the change log looks up a page of messages at once. The
    /// default reads them one by one; a backend overrides it to read them in one go.
    async fn messages_by_id(&self, tenant: &TenantId, ids: &[MessageId]) -> Result<Vec<Message>> {
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            match self.message(tenant, *id).await {
                Ok(message) => found.push(message),
                Err(error) if error.kind() == ErrorKind::NotFound => {}
                Err(error) => return Err(error),
            }
        }
        Ok(found)
    }

    /// The newest message of each of these conversations that has one, in the order given:
    /// an inbox list shows a page of conversations with their last message. The default reads
    /// them one by one; a backend overrides it to read them in one go.
    async fn latest_messages(&self, tenant: &TenantId, conversations: &[ConversationId]) -> Result<Vec<Message>> {
        let newest = MessageQuery::new().limit(1);
        let mut found = Vec::with_capacity(conversations.len());
        for conversation in conversations {
            match self.messages(tenant, *conversation, &newest).await {
                Ok(page) => found.extend(page.items),
                Err(error) if error.kind() == ErrorKind::NotFound => {}
                Err(error) => return Err(error),
            }
        }
        Ok(found)
    }

    /// The contacts with these ids that exist in the tenant, in the order given (the others
    /// are left out): an inbox list shows a page of conversations with their contacts' names.
    /// The default reads them one by one; a backend overrides it to read them in one go.
    async fn contacts_by_id(&self, tenant: &TenantId, ids: &[ContactId]) -> Result<Vec<Contact>> {
        let mut found = Vec::with_capacity(ids.len());
        for id in ids {
            match self.contact(tenant, *id).await {
                Ok(contact) => found.push(contact),
                Err(error) if error.kind() == ErrorKind::NotFound => {}
                Err(error) => return Err(error),
            }
        }
        Ok(found)
    }

    /// One contact.
    async fn contact(&self, tenant: &TenantId, id: ContactId) -> Result<Contact>;

    /// The contact with this identity, if any.
    async fn contact_by_identity(&self, tenant: &TenantId, identity: &ContactIdentity) -> Result<Option<Contact>>;

    /// Full-text search over the tenant's messages.
    async fn search(&self, tenant: &TenantId, query: &SearchQuery) -> Result<Page<Message>>;

    /// Records an outbound message as [`DeliveryStatus::Queued`] before any attempt to send it.
    async fn record_outbound(&self, tenant: &TenantId, draft: OutboundDraft) -> Result<Message>;

    /// Moves an outbound message's status (merged with [`DeliveryStatus::merge`]) and sets its
    /// platform id once the platform accepted it; receipts that arrived earlier then apply.
    async fn update_delivery(
        &self,
        tenant: &TenantId,
        message: MessageId,
        status: DeliveryStatus,
        platform_message_id: Option<&str>,
    ) -> Result<Message>;

    /// Changes a conversation's workflow fields (status, snooze, assignee, tags, read state)
    /// with [`ConversationUpdate::apply`] and returns the result. An invalid update is
    /// `InvalidInput` and changes nothing.
    ///
    /// The default implementation answers `Unsupported`, for read-only or older backends.
    async fn update_conversation(
        &self,
        tenant: &TenantId,
        id: ConversationId,
        update: &ConversationUpdate,
    ) -> Result<Conversation> {
        let _ = (tenant, id, update);
        Err(Error::new(ErrorKind::Unsupported, "this inbox cannot update conversations"))
    }

    /// Adds an internal note; the conversation must belong to the note's tenant.
    async fn add_note(&self, note: &InternalNote) -> Result<()>;

    /// A conversation's notes, oldest first.
    async fn notes(&self, tenant: &TenantId, conversation: ConversationId) -> Result<Vec<InternalNote>>;

    /// The durable send queue, if this backend has one. The hub then records every send as a
    /// job in the same transaction as the message and delivers it with retries; without one it
    /// records and sends directly. The default has none.
    fn outbox(&self) -> Option<&dyn crate::outbox::Outbox> {
        None
    }

    /// The change log, if this backend keeps one ([`Hub::subscribe`](crate::Hub::subscribe)
    /// needs it). The default keeps none.
    fn changes(&self) -> Option<&dyn crate::changes::ChangeLog> {
        None
    }

    /// Records that `user` read the conversation up to `up_to` (a marker never moves back) and,
    /// since someone has now read it, sets its `unread_count` to zero. Returns the user's state.
    ///
    /// The default implementation answers `Unsupported`, as do the other workflow methods below.
    async fn mark_read_by(
        &self,
        tenant: &TenantId,
        conversation: ConversationId,
        user: &UserId,
        up_to: Timestamp,
    ) -> Result<crate::workflow::ReadState> {
        let _ = (tenant, conversation, user, up_to);
        Err(workflow_unsupported("read markers"))
    }

    /// `user`'s read state of each conversation, in the order given. `NotFound` if one is not
    /// the tenant's.
    async fn read_states(
        &self,
        tenant: &TenantId,
        user: &UserId,
        conversations: &[ConversationId],
    ) -> Result<Vec<crate::workflow::ReadState>> {
        let _ = (tenant, user, conversations);
        Err(workflow_unsupported("read markers"))
    }

    /// How many open or pending conversations each assignee works (assignees with none are
    /// left out), for least-open assignment and capacity.
    async fn open_assignments(&self, tenant: &TenantId) -> Result<std::collections::HashMap<UserId, u32>> {
        let _ = tenant;
        Err(workflow_unsupported("assignment counts"))
    }

    /// Assigns an unassigned conversation to the first of `candidates` (in order of preference)
    /// who works fewer open or pending conversations than their capacity, in one step: the
    /// count and the assignment happen together, so concurrent calls never take an agent past
    /// their capacity. Logs the change like [`update_conversation`](Inbox::update_conversation)
    /// (at `at`). `Ok(None)` when nobody has room (nothing changes); `Conflict` if the
    /// conversation is already assigned.
    async fn assign_within_capacity(
        &self,
        tenant: &TenantId,
        id: ConversationId,
        candidates: &[crate::workflow::Agent],
        at: Timestamp,
    ) -> Result<Option<Conversation>> {
        let _ = (tenant, id, candidates, at);
        Err(workflow_unsupported("reserved assignment"))
    }

    /// Creates or replaces the canned reply with this shortcut (validated with
    /// [`CannedReply::validate`](crate::workflow::CannedReply::validate)).
    async fn save_canned_reply(&self, reply: &crate::workflow::CannedReply) -> Result<()> {
        let _ = reply;
        Err(workflow_unsupported("canned replies"))
    }

    /// The tenant's canned replies, by shortcut.
    async fn canned_replies(&self, tenant: &TenantId) -> Result<Vec<crate::workflow::CannedReply>> {
        let _ = tenant;
        Err(workflow_unsupported("canned replies"))
    }

    /// One canned reply; `NotFound` if the tenant has none with this shortcut.
    async fn canned_reply(&self, tenant: &TenantId, shortcut: &str) -> Result<crate::workflow::CannedReply> {
        let _ = (tenant, shortcut);
        Err(workflow_unsupported("canned replies"))
    }

    /// Deletes a canned reply; `NotFound` if the tenant has none with this shortcut.
    async fn delete_canned_reply(&self, tenant: &TenantId, shortcut: &str) -> Result<()> {
        let _ = (tenant, shortcut);
        Err(workflow_unsupported("canned replies"))
    }

    /// A contact with the attributes agents recorded.
    async fn contact_profile(&self, tenant: &TenantId, id: ContactId) -> Result<crate::workflow::ContactProfile> {
        let _ = (tenant, id);
        Err(workflow_unsupported("contact profiles"))
    }

    /// Edits a contact's profile with [`ContactUpdate::apply`](crate::workflow::ContactUpdate::apply).
    /// A display name set here is kept when platforms later report another name.
    async fn update_contact(
        &self,
        tenant: &TenantId,
        id: ContactId,
        update: &crate::workflow::ContactUpdate,
    ) -> Result<crate::workflow::ContactProfile> {
        let _ = (tenant, id, update);
        Err(workflow_unsupported("contact profiles"))
    }

    /// Merges `duplicate` into `keep`, atomically: its identities, conversations and messages
    /// (their author) move to `keep`, the profiles merge with
    /// [`ContactProfile::merged_with`](crate::workflow::ContactProfile::merged_with), and
    /// `duplicate` is gone (`NotFound` from then on). Future messages on its identities reach
    /// `keep`. `InvalidInput` when both are the same contact; `Conflict` when both have a
    /// conversation on the same channel account (a conversation belongs to one contact per
    /// account).
    async fn merge_contacts(
        &self,
        tenant: &TenantId,
        keep: ContactId,
        duplicate: ContactId,
    ) -> Result<crate::workflow::ContactProfile> {
        let _ = (tenant, keep, duplicate);
        Err(workflow_unsupported("contact merging"))
    }
}

fn workflow_unsupported(what: &str) -> Error {
    Error::new(ErrorKind::Unsupported, format!("this inbox does not support {what}"))
}
