use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use super::changes::ChangeState;

mod lifecycle;
mod restore;
mod workflow;
use crate::changes::{Change, ChangeKind, ingest_change};
use crate::outbox::OutboxJob;
use crate::workflow::{CannedReply, ContactProfile, ContactUpdate, ReadState};
pub(super) use restore::InboxRecords;

use crate::inbox::{
    AssigneeFilter, ChannelAccounts, ConversationQuery, ConversationUpdate, Cursor, EventIngest, InboxReads,
    IngestOutcome, MessageQuery, OutboundDraft, OutboundMessages, Page, RoutedEvent, SearchQuery, TeamWorkflow,
};
use crate::ingest::{self, Amendment, IngestPlan, NewMessage, earliest, supersedes};
use crate::{
    Author, ChannelAccount, ChannelAccountId, ChannelAccountState, ChannelId, Contact, ContactId, ContactIdentity,
    Content, Conversation, ConversationId, ConversationStatus, DeliveryStatus, Direction, Error, ErrorKind,
    IdentityKind, InternalNote, Message, MessageId, NoteId, PlatformUser, Reaction, Result, TenantId, Timestamp,
    UserId,
};

/// Conversations, contacts and messages in process memory: every [inbox port](crate::inbox),
/// the [`Outbox`](crate::outbox::Outbox) and the [`ChangeLog`](crate::changes::ChangeLog), with
/// the shared ingest rules of [`crate::ingest`]. For tests, trials and examples: nothing
/// survives a restart.
///
/// Everything lives behind one mutex that is never held across an `.await`, so every call is
/// atomic, [`ingest`](EventIngest::ingest) batches included.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use unibox_core::inbox::{ConversationQuery, RoutedEvent};
/// use unibox_core::memory::MemoryInbox;
/// use unibox_core::{ChannelAccount, ChannelKind, Content, EventKind, IdentityKind, InboundEvent, InboundMessage, PlatformUser, Timestamp};
/// use unibox_core::inbox::prelude::*;
///
/// let inbox = MemoryInbox::new();
/// let tenant = "acme".parse().unwrap();
/// let account = ChannelAccount::new(tenant, "line".parse().unwrap(), ChannelKind::LINE, "Ub99", Timestamp::UNIX_EPOCH);
/// inbox.save_account(&account).await.unwrap();
///
/// let customer = PlatformUser::new(IdentityKind::LineUserId, "U4af4980629c37e7b3ad0a4e2e0a8b2ed");
/// let event = RoutedEvent {
///     tenant: account.tenant.clone(),
///     account: account.id,
///     received_at: Timestamp::from_unix_seconds(2),
///     event: InboundEvent {
///         id: "01HZY3".into(),
///         account: "Ub99".into(),
///         occurred_at: Timestamp::from_unix_seconds(1),
///         kind: EventKind::Message(InboundMessage::inbound(customer, "468789577898262530", Content::text("สวัสดีค่ะ"))),
///     },
/// };
/// inbox.ingest(vec![event.clone(), event]).await.unwrap();
/// let page = inbox.conversations(&account.tenant, &ConversationQuery::new()).await.unwrap();
/// assert_eq!(page.items.len(), 1);
/// assert_eq!(page.items[0].unread_count, 1);
/// # });
/// ```
#[derive(Default)]
pub struct MemoryInbox {
    state: Mutex<State>,
}

impl MemoryInbox {
    /// An empty inbox.
    pub fn new() -> Self {
        Self::default()
    }

    /// The tenant's events that did not become or change a message (follows, referrals, order
    /// updates, revocations, unsupported events), in the order they were ingested.
    ///
    /// ```
    /// let inbox = unibox_core::memory::MemoryInbox::new();
    /// assert!(inbox.event_log(&"acme".parse().unwrap()).is_empty());
    /// ```
    pub fn event_log(&self, tenant: &TenantId) -> Vec<RoutedEvent> {
        self.state().event_log.iter().filter(|e| &e.tenant == tenant).cloned().collect()
    }

    pub(super) fn state(&self) -> MutexGuard<'_, State> {
        // Every method validates before it writes, and writes cannot panic, so a poisoned lock
        // (a panic elsewhere while holding it) still guards consistent state.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl fmt::Debug for MemoryInbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("MemoryInbox")
            .field("accounts", &state.accounts.len())
            .field("conversations", &state.conversations.len())
            .field("messages", &state.messages.len())
            .finish()
    }
}

/// An account's platform message id, the key edits, unsends, reactions and receipts refer to.
type PlatformKey = (ChannelAccountId, String);

#[derive(Default)]
pub(super) struct State {
    accounts: HashMap<ChannelAccountId, ChannelAccount>,
    contacts: HashMap<ContactId, StoredContact>,
    identities: HashMap<(ChannelAccountId, IdentityKind, String), ContactId>,
    conversations: HashMap<ConversationId, Conversation>,
    conversation_of: HashMap<(ChannelAccountId, ContactId), ConversationId>,
    messages: HashMap<MessageId, StoredMessage>,
    by_platform_id: HashMap<PlatformKey, MessageId>,
    /// Changes to messages that have not arrived yet.
    pending: HashMap<PlatformKey, Amendments>,
    seen_events: HashSet<(ChannelAccountId, String)>,
    event_log: Vec<RoutedEvent>,
    notes: HashMap<NoteId, InternalNote>,
    /// Send jobs, by message (see `memory::outbox`).
    pub(super) jobs: HashMap<MessageId, OutboxJob>,
    /// The change log, appended under the same lock as each change.
    pub(super) changes: ChangeState,
    /// Read markers, canned replies and contact attributes (see `inbox/workflow.rs`).
    workflow: workflow::WorkflowState,
}

struct StoredContact {
    contact: Contact,
    /// The (time, event id) of the event the display name came from: the latest wins.
    name_from: Option<(Timestamp, String)>,
}

pub(super) struct StoredMessage {
    pub(super) message: Message,
    amendments: Amendments,
}

/// Everything that can happen to a message after it was sent. Each change merges in a way that
/// does not depend on arrival order, so pending changes and late changes give the same result.
#[derive(Default)]
struct Amendments {
    /// The latest edit by (time, event id); its content is dropped once the message is unsent.
    edit: Option<(Timestamp, String, Option<Content>)>,
    unsent_at: Option<Timestamp>,
    /// The latest reaction per customer by (time, event id); `None` is a removal.
    reactions: BTreeMap<String, (Timestamp, String, Option<String>)>,
    delivery: Option<DeliveryStatus>,
    /// Who made the edit and unsend (the message's author), so that a contact erasure finds
    /// theirs while they wait for the message.
    changed_by: BTreeSet<String>,
}

impl Amendments {
    /// One planned amendment, made at `at` by the event `event_id`.
    fn of(amendment: &Amendment<'_>, at: Timestamp, event_id: &str, by: Option<&str>) -> Self {
        let mut change = Amendments::default();
        if matches!(amendment, Amendment::Edit { .. } | Amendment::Unsend) {
            change.changed_by.extend(by.map(str::to_owned));
        }
        match amendment {
            Amendment::Edit { content } => change.edit(at, event_id, content),
            Amendment::Unsend => change.unsend(at),
            Amendment::Reaction { by, emoji } => change.react(by, at, event_id, *emoji),
            Amendment::Delivery(status) => change.deliver(status),
        }
        change
    }

    fn edit(&mut self, at: Timestamp, event_id: &str, content: &Content) {
        if supersedes((at, event_id), self.edit.as_ref().map(|(t, id, _)| (*t, id.as_str()))) {
            let content = self.unsent_at.is_none().then(|| content.clone());
            self.edit = Some((at, event_id.to_string(), content));
        }
    }

    fn unsend(&mut self, at: Timestamp) {
        self.unsent_at = Some(earliest(self.unsent_at, at));
        if let Some((_, _, content)) = &mut self.edit {
            *content = None;
        }
    }

    fn react(&mut self, by: &str, at: Timestamp, event_id: &str, emoji: Option<&str>) {
        if supersedes((at, event_id), self.reactions.get(by).map(|(t, id, _)| (*t, id.as_str()))) {
            self.reactions.insert(by.to_string(), (at, event_id.to_string(), emoji.map(str::to_string)));
        }
    }

    /// Forgets `by`'s reaction (or removal) entirely, as if it never happened (a contact
    /// erasure); whether there was one.
    fn forget_reaction(&mut self, by: &str) -> bool {
        self.reactions.remove(by).is_some()
    }

    /// Forgets `by`'s edit and unsend, as if they never happened (a contact erasure of the
    /// message's author while the changes wait for it); whether there was either.
    fn forget_changes_of(&mut self, by: &str) -> bool {
        if !self.changed_by.remove(by) {
            return false;
        }
        let had = self.edit.is_some() || self.unsent_at.is_some();
        self.edit = None;
        self.unsent_at = None;
        had
    }

    /// Whether nothing waits here any more.
    fn is_empty(&self) -> bool {
        self.edit.is_none() && self.unsent_at.is_none() && self.reactions.is_empty() && self.delivery.is_none()
    }

    fn deliver(&mut self, status: &DeliveryStatus) {
        self.delivery = Some(match &self.delivery {
            Some(current) => current.merge(status),
            None => status.clone(),
        });
    }

    /// Adds `other`'s changes to these.
    fn absorb(&mut self, mut other: Amendments) {
        self.changed_by.append(&mut other.changed_by);
        if let Some(at) = other.unsent_at {
            self.unsend(at);
        }
        if let Some((at, id, content)) = other.edit {
            match content {
                Some(content) => self.edit(at, &id, &content),
                // An unsent edit still moves `edited_at`; its content is gone.
                None if supersedes((at, id.as_str()), self.edit.as_ref().map(|(t, i, _)| (*t, i.as_str()))) => {
                    self.edit = Some((at, id, None));
                }
                None => {}
            }
        }
        for (by, (at, id, emoji)) in other.reactions {
            self.react(&by, at, &id, emoji.as_deref());
        }
        if let Some(status) = other.delivery {
            self.deliver(&status);
        }
    }
}

impl StoredMessage {
    /// Forgets `by`'s reaction to this message (a contact erasure); whether there was one.
    fn forget_reaction(&mut self, by: &str) -> bool {
        let forgotten = self.amendments.forget_reaction(by);
        if forgotten {
            self.message.reactions.retain(|reaction| reaction.by != by);
        }
        forgotten
    }

    /// Applies `changes`, then brings the message's fields in line with all its amendments.
    fn amend(&mut self, changes: Amendments) {
        let old_edit = self.amendments.edit.as_ref().map(|(t, id, _)| (*t, id.clone()));
        self.amendments.absorb(changes);
        let message = &mut self.message;
        if let Some((at, id, content)) = &self.amendments.edit {
            message.edited_at = Some(*at);
            if old_edit.as_ref() != Some(&(*at, id.clone()))
                && let Some(content) = content
            {
                message.content = content.clone();
            }
        }
        if let Some(at) = self.amendments.unsent_at {
            message.unsent_at = Some(at);
            message.content = Content::text("");
        }
        let mut reactions: Vec<Reaction> = self
            .amendments
            .reactions
            .iter()
            .filter_map(|(by, (at, _, emoji))| {
                emoji.as_ref().map(|e| Reaction { by: by.clone(), emoji: e.clone(), at: *at })
            })
            .collect();
        reactions.sort_by(|a, b| (a.at, &a.by).cmp(&(b.at, &b.by)));
        message.reactions = reactions;
        if message.direction == Direction::Outbound
            && let Some(status) = &self.amendments.delivery
        {
            message.delivery = message.delivery.merge(status);
        }
    }
}

fn not_found(what: &'static str) -> Error {
    Error::new(ErrorKind::NotFound, format!("{what} not found"))
}

fn invalid(message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::InvalidInput, message)
}

/// Checks an event with the shared rules ([`ingest::validate`]), and that the tenant has its
/// account.
fn validate_event(state: &State, routed: &RoutedEvent) -> Result<()> {
    match state.accounts.get(&routed.account) {
        Some(account) if account.tenant == routed.tenant => ingest::validate(routed),
        _ => Err(not_found("channel account")
            .with_context("tenant", &routed.tenant)
            .with_context("account", routed.account)),
    }
}

impl State {
    fn account_of(&self, tenant: &TenantId, id: ChannelAccountId) -> Result<&ChannelAccount> {
        self.accounts.get(&id).filter(|a| &a.tenant == tenant).ok_or_else(|| not_found("channel account"))
    }

    fn conversation_of(&self, tenant: &TenantId, id: ConversationId) -> Result<&Conversation> {
        self.conversations.get(&id).filter(|c| &c.tenant == tenant).ok_or_else(|| not_found("conversation"))
    }

    pub(super) fn message_of(&self, tenant: &TenantId, id: MessageId) -> Result<&StoredMessage> {
        self.messages.get(&id).filter(|m| &m.message.tenant == tenant).ok_or_else(|| not_found("message"))
    }

    /// Executes the shared plan of one validated event ([`ingest::plan`]).
    fn ingest_one(&mut self, routed: &RoutedEvent) -> IngestOutcome {
        let account = routed.account;
        if !self.seen_events.insert((account, routed.event.id.clone())) {
            return IngestOutcome::Duplicate;
        }
        let event = &routed.event;
        let plan = ingest::plan(event);
        if plan.is_logged() {
            self.event_log.push(routed.clone());
        }
        match plan {
            IngestPlan::StoreMessage(message) => self.store_message(routed, message),
            IngestPlan::Amend { message_ids, amendment } => {
                let mut touched = Vec::new();
                for message_id in message_ids {
                    let by = event.kind.customer().map(|customer| customer.id.as_str());
                    let change = Amendments::of(&amendment, event.occurred_at, &event.id, by);
                    if let IngestOutcome::Stored { conversation: Some(c), message: Some(m) } =
                        self.amend(account, message_id, change)
                    {
                        touched.push((c, m));
                    }
                }
                let conversation = touched.first().map(|(c, _)| *c).filter(|c| touched.iter().all(|(o, _)| o == c));
                let message = match touched.as_slice() {
                    [(_, m)] => Some(*m),
                    _ => None,
                };
                IngestOutcome::Stored { conversation, message }
            }
            IngestPlan::RequireReauthorization { reason } => {
                if let Some(stored) = self.accounts.get_mut(&account) {
                    stored.state = ChannelAccountState::ReauthorizationRequired { reason: reason.to_owned() };
                }
                IngestOutcome::Stored { conversation: None, message: None }
            }
            IngestPlan::MoveIdentity { kind, previous, current } => {
                self.move_identity(account, kind, previous, current);
                IngestOutcome::Stored { conversation: None, message: None }
            }
            IngestPlan::Log => IngestOutcome::Stored { conversation: None, message: None },
        }
    }

    /// Applies a change to the message with this platform id, or keeps it until it arrives.
    fn amend(&mut self, account: ChannelAccountId, platform_id: &str, change: Amendments) -> IngestOutcome {
        let key = (account, platform_id.to_string());
        match self.by_platform_id.get(&key).and_then(|id| self.messages.get_mut(id)) {
            Some(stored) => {
                stored.amend(change);
                IngestOutcome::Stored {
                    conversation: Some(stored.message.conversation),
                    message: Some(stored.message.id),
                }
            }
            None => {
                self.pending.entry(key).or_default().absorb(change);
                IngestOutcome::Stored { conversation: None, message: None }
            }
        }
    }

    fn store_message(&mut self, routed: &RoutedEvent, message: NewMessage<'_>) -> IngestOutcome {
        let account = routed.account;
        let key = (account, message.platform_message_id.clone().into_owned());
        if self.by_platform_id.contains_key(&key) {
            return IngestOutcome::Duplicate;
        }
        let at = routed.event.occurred_at;
        let contact = self.find_or_create_contact(routed, message.customer);
        let conversation_id = self.find_or_create_conversation(&routed.tenant, account, contact, at);
        let inbound = message.is_inbound();
        let mut stored = StoredMessage {
            message: Message {
                id: MessageId::new(),
                tenant: routed.tenant.clone(),
                conversation: conversation_id,
                account,
                direction: message.direction,
                author: if inbound { Author::Contact(contact) } else { Author::System },
                content: message.content.into_owned(),
                platform_message_id: Some(key.1.clone()),
                reply_to: message.reply_to.map(str::to_owned),
                sent_at: at,
                recorded_at: routed.received_at,
                edited_at: None,
                unsent_at: None,
                delivery: if inbound { DeliveryStatus::Received } else { DeliveryStatus::Sent },
                reactions: Vec::new(),
            },
            amendments: Amendments::default(),
        };
        if let Some(pending) = self.pending.remove(&key) {
            stored.amend(pending);
        }
        let message_id = stored.message.id;
        self.by_platform_id.insert(key, message_id);
        self.messages.insert(message_id, stored);
        if let Some(conversation) = self.conversations.get_mut(&conversation_id) {
            conversation.last_activity_at = conversation.last_activity_at.max(at);
            conversation.created_at = conversation.created_at.min(at);
            if inbound {
                conversation.unread_count = conversation.unread_count.saturating_add(1);
                conversation.last_inbound_at = Some(conversation.last_inbound_at.map_or(at, |t| t.max(at)));
                if matches!(conversation.status, ConversationStatus::Resolved | ConversationStatus::Snoozed) {
                    conversation.status = ConversationStatus::Open;
                    conversation.snoozed_until = None;
                }
            }
        }
        IngestOutcome::Stored { conversation: Some(conversation_id), message: Some(message_id) }
    }

    /// Moves a contact's identity to a new value, unless the new value is taken or no contact
    /// has the old one.
    fn move_identity(&mut self, account: ChannelAccountId, kind: &IdentityKind, previous: &str, current: &str) {
        let new_key = (account, kind.clone(), current.to_owned());
        if self.identities.contains_key(&new_key) {
            return;
        }
        let Some(contact) = self.identities.remove(&(account, kind.clone(), previous.to_owned())) else { return };
        self.identities.insert(new_key, contact);
        if let Some(stored) = self.contacts.get_mut(&contact) {
            for identity in &mut stored.contact.identities {
                if identity.account == account && &identity.kind == kind && identity.value == previous {
                    identity.value = current.to_owned();
                }
            }
        }
    }

    fn find_or_create_contact(&mut self, routed: &RoutedEvent, customer: &PlatformUser) -> ContactId {
        let at = routed.event.occurred_at;
        let key = (routed.account, customer.kind.clone(), customer.id.clone());
        let id = *self.identities.entry(key).or_default();
        let stored = self.contacts.entry(id).or_insert_with(|| StoredContact {
            contact: Contact {
                id,
                tenant: routed.tenant.clone(),
                display_name: None,
                identities: vec![ContactIdentity {
                    account: routed.account,
                    kind: customer.kind.clone(),
                    value: customer.id.clone(),
                }],
                created_at: at,
            },
            name_from: None,
        });
        stored.contact.created_at = stored.contact.created_at.min(at);
        if let Some(name) = &customer.display_name {
            let source = (at, routed.event.id.clone());
            if stored.name_from.as_ref().is_none_or(|from| &source > from) {
                stored.contact.display_name = Some(name.clone());
                stored.name_from = Some(source);
            }
        }
        id
    }

    fn find_or_create_conversation(
        &mut self,
        tenant: &TenantId,
        account: ChannelAccountId,
        contact: ContactId,
        at: Timestamp,
    ) -> ConversationId {
        let id = *self.conversation_of.entry((account, contact)).or_default();
        self.conversations.entry(id).or_insert_with(|| Conversation {
            id,
            tenant: tenant.clone(),
            account,
            contact,
            status: ConversationStatus::Open,
            snoozed_until: None,
            assignee: None,
            tags: Vec::new(),
            unread_count: 0,
            last_inbound_at: None,
            last_activity_at: at,
            created_at: at,
        });
        id
    }

    /// Gives an outbound message its platform id. An echo of the same message that arrived
    /// before the platform's answer is folded into it, so the conversation shows it once.
    fn set_platform_id(&mut self, id: MessageId, platform_id: &str) -> Result<()> {
        let Some(stored) = self.messages.get(&id) else { return Err(not_found("message")) };
        match stored.message.platform_message_id.as_deref() {
            Some(existing) if existing == platform_id => return Ok(()),
            Some(_) => {
                return Err(Error::new(ErrorKind::Conflict, "the message already has another platform message id"));
            }
            None => {}
        }
        let key = (stored.message.account, platform_id.to_string());
        let conversation = stored.message.conversation;
        let mut changes = self.pending.remove(&key).unwrap_or_default();
        if let Some(other) = self.by_platform_id.get(&key).copied() {
            let echo = self.messages.get(&other).is_some_and(|o| {
                o.message.direction == Direction::Outbound
                    && o.message.author == Author::System
                    && o.message.conversation == conversation
            });
            if !echo {
                return Err(Error::new(ErrorKind::Conflict, "another message already has this platform message id"));
            }
            if let Some(echo) = self.messages.remove(&other) {
                changes.absorb(echo.amendments);
                changes.deliver(&echo.message.delivery);
            }
        }
        self.by_platform_id.insert(key, id);
        if let Some(stored) = self.messages.get_mut(&id) {
            stored.message.platform_message_id = Some(platform_id.to_string());
            stored.amend(changes);
        }
        Ok(())
    }
}

impl State {
    /// Records an outbound draft as queued (see [`OutboundMessages::record_outbound`](OutboundMessages::record_outbound)); returns whether it
    /// was new.
    pub(super) fn record_outbound_once(&mut self, tenant: &TenantId, draft: OutboundDraft) -> Result<(Message, bool)> {
        if matches!(draft.author, Author::Contact(_)) {
            return Err(invalid("an outbound message is written by an agent, a bot or the system, not the contact"));
        }
        let account = self.conversation_of(tenant, draft.conversation)?.account;
        if let Some(existing) = self.messages.get(&draft.id) {
            // The draft id doubles as an idempotency key: recording the same draft again is a no-op.
            return if &existing.message.tenant == tenant && existing.message.conversation == draft.conversation {
                Ok((existing.message.clone(), false))
            } else {
                Err(Error::new(ErrorKind::Conflict, "the message id is taken").with_operation("memory.record_outbound"))
            };
        }
        let message = draft.into_queued_message(tenant.clone(), account);
        if let Some(conversation) = self.conversations.get_mut(&message.conversation) {
            conversation.last_activity_at = conversation.last_activity_at.max(message.sent_at);
        }
        self.messages.insert(message.id, StoredMessage { message: message.clone(), amendments: Amendments::default() });
        self.changes.push(
            Change::new(tenant.clone(), message.recorded_at, ChangeKind::MessageAdded)
                .conversation(message.conversation)
                .message(message.id)
                .detail("queued"),
        );
        Ok((message, true))
    }

    fn record_outbound(&mut self, tenant: &TenantId, draft: OutboundDraft) -> Result<Message> {
        self.record_outbound_once(tenant, draft).map(|(message, _)| message)
    }

    /// Puts a message whose send will be retried back to `Queued`. Only the outbox moves a
    /// message between queued and sending, and no receipt can apply before the platform id is
    /// known, so this cannot undo a platform's answer.
    pub(super) fn requeue(&mut self, tenant: &TenantId, message: MessageId) -> Result<()> {
        self.message_of(tenant, message)?;
        if let Some(stored) = self.messages.get_mut(&message)
            && stored.message.delivery == DeliveryStatus::Sending
            && stored.message.platform_message_id.is_none()
        {
            stored.message.delivery = DeliveryStatus::Queued;
        }
        Ok(())
    }

    /// Moves an outbound message's delivery (see [`OutboundMessages::update_delivery`](OutboundMessages::update_delivery)), logging the change
    /// with `detail` when something changed.
    pub(super) fn update_delivery(
        &mut self,
        tenant: &TenantId,
        message: MessageId,
        status: &DeliveryStatus,
        platform_message_id: Option<&str>,
        detail: &str,
    ) -> Result<Message> {
        let stored = self.message_of(tenant, message)?;
        if stored.message.direction != Direction::Outbound {
            return Err(invalid("only outbound messages have a delivery status"));
        }
        if platform_message_id.is_some_and(str::is_empty) {
            return Err(invalid("a platform message id cannot be empty"));
        }
        let before = (stored.message.delivery.clone(), stored.message.platform_message_id.clone());
        if let Some(platform_id) = platform_message_id {
            self.set_platform_id(message, platform_id).map_err(|e| e.with_operation("memory.update_delivery"))?;
        }
        let stored = self.messages.get_mut(&message).ok_or_else(|| not_found("message"))?;
        stored.message.delivery = stored.message.delivery.merge(status);
        let updated = stored.message.clone();
        if (updated.delivery.clone(), updated.platform_message_id.clone()) != before {
            let at = Timestamp::now();
            self.changes.push(
                Change::new(tenant.clone(), at, ChangeKind::DeliveryChanged)
                    .conversation(updated.conversation)
                    .message(updated.id)
                    .detail(detail),
            );
        }
        Ok(updated)
    }
}

fn page<T>(items: impl Iterator<Item = T>, limit: usize, cursor: impl Fn(&T) -> Cursor) -> Page<T> {
    let mut items: Vec<T> = items.take(limit.saturating_add(1)).collect();
    let next = if items.len() > limit {
        items.truncate(limit);
        items.last().map(&cursor)
    } else {
        None
    };
    Page { items, next }
}

fn message_cursor(message: &Message) -> Cursor {
    Cursor::new(message.sent_at, message.id.as_uuid())
}

fn newest_first(mut messages: Vec<Message>, before: Option<Cursor>, limit: usize) -> Page<Message> {
    messages.sort_by_key(|m| std::cmp::Reverse((m.sent_at, m.id)));
    let older = move |m: &Message| before.is_none_or(|c| (m.sent_at, m.id.as_uuid()) < (c.at, c.id));
    page(messages.into_iter().filter(older), limit, message_cursor)
}

#[async_trait]
impl ChannelAccounts for MemoryInbox {
    async fn save_account(&self, account: &ChannelAccount) -> Result<()> {
        if account.platform_account_id.is_empty() {
            return Err(invalid("a channel account needs its platform account id"));
        }
        let mut state = self.state();
        if state.accounts.get(&account.id).is_some_and(|existing| existing.tenant != account.tenant) {
            return Err(
                Error::new(ErrorKind::Conflict, "the account id is taken").with_operation("memory.save_account")
            );
        }
        let taken = state.accounts.values().any(|other| {
            other.id != account.id
                && other.channel == account.channel
                && other.platform_account_id == account.platform_account_id
        });
        if taken {
            return Err(Error::new(
                ErrorKind::Conflict,
                "another account of this channel already has this platform account id",
            )
            .with_operation("memory.save_account")
            .with_context("channel", &account.channel));
        }
        state.accounts.insert(account.id, account.clone());
        Ok(())
    }

    async fn account(&self, tenant: &TenantId, id: ChannelAccountId) -> Result<ChannelAccount> {
        self.state().account_of(tenant, id).cloned()
    }

    async fn accounts(&self, tenant: &TenantId) -> Result<Vec<ChannelAccount>> {
        let state = self.state();
        let mut accounts: Vec<ChannelAccount> =
            state.accounts.values().filter(|a| &a.tenant == tenant).cloned().collect();
        accounts.sort_by_key(|a| (a.connected_at, a.id));
        Ok(accounts)
    }

    async fn route(&self, channel: &ChannelId, platform_account_id: &str) -> Result<Option<ChannelAccount>> {
        let state = self.state();
        Ok(state
            .accounts
            .values()
            .find(|a| &a.channel == channel && a.platform_account_id == platform_account_id)
            .cloned())
    }
}

#[async_trait]
impl EventIngest for MemoryInbox {
    async fn ingest(&self, events: Vec<RoutedEvent>) -> Result<Vec<IngestOutcome>> {
        let mut state = self.state();
        for event in &events {
            validate_event(&state, event).map_err(|e| e.with_operation("memory.ingest"))?;
        }
        let mut outcomes = Vec::with_capacity(events.len());
        for event in &events {
            let outcome = state.ingest_one(event);
            if let Some(change) = ingest_change(&event.tenant, event.received_at, event.event.kind.name(), &outcome) {
                state.changes.push(change);
            }
            outcomes.push(outcome);
        }
        Ok(outcomes)
    }
}

#[async_trait]
impl InboxReads for MemoryInbox {
    async fn conversations(&self, tenant: &TenantId, query: &ConversationQuery) -> Result<Page<Conversation>> {
        query.validate()?;
        let state = self.state();
        let mut conversations: Vec<&Conversation> = state
            .conversations
            .values()
            .filter(|c| &c.tenant == tenant)
            .filter(|c| query.status.is_none_or(|s| c.status == s))
            .filter(|c| query.account.is_none_or(|a| c.account == a))
            .filter(|c| query.contact.is_none_or(|contact| c.contact == contact))
            .filter(|c| match &query.assignee {
                None => true,
                Some(AssigneeFilter::Unassigned) => c.assignee.is_none(),
                Some(AssigneeFilter::User(user)) => c.assignee.as_ref() == Some(user),
            })
            .filter(|c| query.tag.as_ref().is_none_or(|tag| c.tags.iter().any(|t| t == tag)))
            .filter(|c| !query.unread_only || c.unread_count > 0)
            .filter(|c| query.after.is_none_or(|k| (c.last_activity_at, c.id.as_uuid()) < (k.at, k.id)))
            .collect();
        conversations.sort_by_key(|c| std::cmp::Reverse((c.last_activity_at, c.id)));
        Ok(page(conversations.into_iter().cloned(), query.limit, |c| Cursor::new(c.last_activity_at, c.id.as_uuid())))
    }

    async fn conversation(&self, tenant: &TenantId, id: ConversationId) -> Result<Conversation> {
        self.state().conversation_of(tenant, id).cloned()
    }

    async fn messages(
        &self,
        tenant: &TenantId,
        conversation: ConversationId,
        query: &MessageQuery,
    ) -> Result<Page<Message>> {
        query.validate()?;
        let state = self.state();
        state.conversation_of(tenant, conversation)?;
        let messages = state
            .messages
            .values()
            .filter(|m| m.message.conversation == conversation)
            .map(|m| m.message.clone())
            .collect();
        Ok(newest_first(messages, query.before, query.limit))
    }

    async fn message(&self, tenant: &TenantId, id: MessageId) -> Result<Message> {
        self.state().message_of(tenant, id).map(|m| m.message.clone())
    }

    async fn messages_by_id(&self, tenant: &TenantId, ids: &[MessageId]) -> Result<Vec<Message>> {
        let state = self.state();
        Ok(ids.iter().filter_map(|id| state.message_of(tenant, *id).ok().map(|m| m.message.clone())).collect())
    }

    async fn contacts(&self, tenant: &TenantId, after: Option<ContactId>, limit: usize) -> Result<Vec<Contact>> {
        let state = self.state();
        let mut contacts: Vec<&Contact> = state
            .contacts
            .values()
            .map(|stored| &stored.contact)
            .filter(|c| &c.tenant == tenant && after.is_none_or(|after| c.id > after))
            .collect();
        contacts.sort_by_key(|c| c.id);
        Ok(contacts.into_iter().take(limit).cloned().collect())
    }

    async fn contact(&self, tenant: &TenantId, id: ContactId) -> Result<Contact> {
        let state = self.state();
        state
            .contacts
            .get(&id)
            .filter(|c| &c.contact.tenant == tenant)
            .map(|c| c.contact.clone())
            .ok_or_else(|| not_found("contact"))
    }

    async fn contact_by_identity(&self, tenant: &TenantId, identity: &ContactIdentity) -> Result<Option<Contact>> {
        let state = self.state();
        let key = (identity.account, identity.kind.clone(), identity.value.clone());
        Ok(state
            .identities
            .get(&key)
            .and_then(|id| state.contacts.get(id))
            .filter(|c| &c.contact.tenant == tenant)
            .map(|c| c.contact.clone()))
    }

    async fn search(&self, tenant: &TenantId, query: &SearchQuery) -> Result<Page<Message>> {
        query.validate()?;
        let terms: Vec<String> = query.terms().iter().map(|t| t.to_lowercase()).collect();
        let state = self.state();
        let matches = state
            .messages
            .values()
            .map(|m| &m.message)
            .filter(|m| &m.tenant == tenant)
            .filter(|m| {
                m.content.searchable_text().is_some_and(|text| {
                    let text = text.to_lowercase();
                    terms.iter().all(|term| text.contains(term.as_str()))
                })
            })
            .cloned()
            .collect();
        Ok(newest_first(matches, query.before, query.limit))
    }

    async fn notes(&self, tenant: &TenantId, conversation: ConversationId) -> Result<Vec<InternalNote>> {
        let state = self.state();
        state.conversation_of(tenant, conversation)?;
        let mut notes: Vec<InternalNote> =
            state.notes.values().filter(|n| n.conversation == conversation && &n.tenant == tenant).cloned().collect();
        notes.sort_by_key(|n| (n.created_at, n.id));
        Ok(notes)
    }
}

#[async_trait]
impl OutboundMessages for MemoryInbox {
    async fn record_outbound(&self, tenant: &TenantId, draft: OutboundDraft) -> Result<Message> {
        self.state().record_outbound(tenant, draft)
    }

    async fn update_delivery(
        &self,
        tenant: &TenantId,
        message: MessageId,
        status: DeliveryStatus,
        platform_message_id: Option<&str>,
    ) -> Result<Message> {
        self.state().update_delivery(tenant, message, &status, platform_message_id, status.as_str())
    }
}

#[async_trait]
impl TeamWorkflow for MemoryInbox {
    async fn update_conversation(
        &self,
        tenant: &TenantId,
        id: ConversationId,
        update: &ConversationUpdate,
    ) -> Result<Conversation> {
        self.state().update_conversation(tenant, id, update)
    }

    async fn add_note(&self, note: &InternalNote) -> Result<()> {
        if note.body.trim().is_empty() {
            return Err(invalid("a note cannot be empty"));
        }
        let mut state = self.state();
        state.conversation_of(&note.tenant, note.conversation)?;
        if state.notes.get(&note.id).is_some_and(|existing| existing != note) {
            return Err(Error::new(ErrorKind::Conflict, "the note id is taken").with_operation("memory.add_note"));
        }
        if state.notes.insert(note.id, note.clone()).is_none() {
            state.changes.push(
                Change::new(note.tenant.clone(), note.created_at, ChangeKind::NoteAdded)
                    .conversation(note.conversation)
                    .detail(note.id.to_string()),
            );
        }
        Ok(())
    }

    async fn mark_read_by(
        &self,
        tenant: &TenantId,
        conversation: ConversationId,
        user: &UserId,
        up_to: Timestamp,
    ) -> Result<ReadState> {
        self.state().mark_read_by(tenant, conversation, user, up_to)
    }

    async fn read_states(
        &self,
        tenant: &TenantId,
        user: &UserId,
        conversations: &[ConversationId],
    ) -> Result<Vec<ReadState>> {
        self.state().read_states(tenant, user, conversations)
    }

    async fn open_assignments(&self, tenant: &TenantId) -> Result<HashMap<UserId, u32>> {
        Ok(self.state().open_assignments(tenant))
    }

    async fn assign_within_capacity(
        &self,
        tenant: &TenantId,
        id: ConversationId,
        candidates: &[crate::workflow::Agent],
        at: Timestamp,
    ) -> Result<Option<Conversation>> {
        // Under the one lock: the count and the assignment are a single step.
        self.state().assign_within_capacity(tenant, id, candidates, at)
    }

    async fn save_canned_reply(&self, reply: &CannedReply) -> Result<()> {
        self.state().save_canned_reply(reply)
    }

    async fn canned_replies(&self, tenant: &TenantId) -> Result<Vec<CannedReply>> {
        Ok(self.state().canned_replies(tenant))
    }

    async fn canned_reply(&self, tenant: &TenantId, shortcut: &str) -> Result<CannedReply> {
        self.state().canned_reply(tenant, shortcut)
    }

    async fn delete_canned_reply(&self, tenant: &TenantId, shortcut: &str) -> Result<()> {
        self.state().delete_canned_reply(tenant, shortcut)
    }

    async fn contact_profile(&self, tenant: &TenantId, id: ContactId) -> Result<ContactProfile> {
        self.state().contact_profile(tenant, id)
    }

    async fn update_contact(&self, tenant: &TenantId, id: ContactId, update: &ContactUpdate) -> Result<ContactProfile> {
        self.state().update_contact(tenant, id, update)
    }

    async fn merge_contacts(&self, tenant: &TenantId, keep: ContactId, duplicate: ContactId) -> Result<ContactProfile> {
        self.state().merge_contacts(tenant, keep, duplicate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ChannelKind, EventKind, InboundEvent, InboundMessage};

    fn routed(account: &ChannelAccount, id: &str, kind: EventKind) -> RoutedEvent {
        RoutedEvent {
            tenant: account.tenant.clone(),
            account: account.id,
            received_at: Timestamp::from_unix_seconds(2),
            event: InboundEvent {
                id: id.into(),
                account: account.platform_account_id.clone(),
                occurred_at: Timestamp::from_unix_seconds(1),
                kind,
            },
        }
    }

    fn account(tenant: &str, channel: &str) -> ChannelAccount {
        ChannelAccount::new(
            tenant.parse().unwrap(),
            channel.parse().unwrap(),
            ChannelKind::LINE,
            "Ub9952f8f7a2c6e0d3b4a5f6e7d8c9b0a",
            Timestamp::UNIX_EPOCH,
        )
    }

    #[tokio::test]
    async fn events_without_a_message_are_kept_in_the_tenants_event_log_once() {
        let inbox = MemoryInbox::new();
        let acme = account("acme", "line-acme");
        let globex = account("globex", "line-globex");
        inbox.save_account(&acme).await.unwrap();
        inbox.save_account(&globex).await.unwrap();
        let customer = PlatformUser::new(IdentityKind::LineUserId, "U4af4980629c37e7b3ad0a4e2e0a8b2ed");
        let follow = routed(&acme, "follow-1", EventKind::Follow { customer: customer.clone() });
        let referral = routed(
            &acme,
            "ref-1",
            EventKind::Referral { customer, source: "ADS".into(), reference: Some("spring-sale".into()) },
        );
        let revoked = routed(&globex, "deauth-1", EventKind::AuthorizationRevoked { reason: "unlinked".into() });
        inbox.ingest(vec![follow.clone(), referral.clone(), follow.clone(), revoked.clone()]).await.unwrap();

        assert_eq!(inbox.event_log(&acme.tenant), vec![follow, referral], "redelivery is logged once, per tenant");
        assert_eq!(inbox.event_log(&globex.tenant), vec![revoked]);
    }

    #[tokio::test]
    async fn debug_shows_counts_not_content() {
        let inbox = MemoryInbox::new();
        let acme = account("acme", "line-acme");
        inbox.save_account(&acme).await.unwrap();
        let customer = PlatformUser::new(IdentityKind::LineUserId, "U4af4980629c37e7b3ad0a4e2e0a8b2ed");
        let message = InboundMessage::inbound(customer, "m-1", Content::text("my address is 99/1 Sukhumvit"));
        inbox.ingest(vec![routed(&acme, "evt-1", EventKind::Message(message))]).await.unwrap();

        let debug = format!("{inbox:?}");
        assert_eq!(debug, "MemoryInbox { accounts: 1, conversations: 1, messages: 1 }");
    }
}
