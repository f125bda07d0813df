//! Analytics reports, and the feed that brings observations to analytics off the hot paths.
//!
//! Every observation (a stored message, a sent reply, an assignment, a resolution) goes through
//! one bounded queue to one background task, in order, so analytics sees a conversation's
//! history in the order the hub saw it. The webhook path only enqueues: the task finds each
//! new message's conversation (by the customer's identity) and records in batches, one
//! `Analytics::record` per tenant per batch. A report first waits until everything enqueued
//! before it is recorded, so it reflects every change the caller has seen succeed.

use std::sync::{Arc, OnceLock};

use tokio::sync::{mpsc, oneshot};

use crate::analytics::{Analytics, AnalyticsQuery, AnalyticsReport, IngestedMessage, Observation};
use crate::hub::Hub;
use crate::inbox::{Acceptance, ConversationQuery};
use crate::{Action, Actor, ConversationId, Inbox, Message, Resource, Result, TenantId};

/// How many feed items may wait for the analytics task. When the webhook path finds it full
/// (analytics far behind), it drops that delivery's observations with a warning rather than
/// slow the acknowledgement.
const FEED_CAPACITY: usize = 16_384;
/// The most queued items the task folds into one round of writes.
const BATCH: usize = 512;

enum Feed {
    Observed(TenantId, Vec<Observation>),
    Accepted(Vec<IngestedMessage>),
    Flush(oneshot::Sender<()>),
}

/// The sending end of the analytics queue; the task starts with the first observation.
#[derive(Debug, Default)]
pub(crate) struct AnalyticsFeed {
    queue: OnceLock<mpsc::Sender<Feed>>,
}

impl Hub {
    /// Response times, resolution times and message counts of the actor's tenant for a range of
    /// UTC days, in total, per day, per agent and per account. Requires
    /// [`Action::ViewAnalytics`]. Everything the hub recorded before the call is included.
    ///
    /// ```
    /// # async fn show(hub: unibox_core::Hub, admin: unibox_core::Actor) -> unibox_core::Result<()> {
    /// use unibox_core::analytics::AnalyticsQuery;
    /// use unibox_core::Timestamp;
    /// let november = AnalyticsQuery::new(Timestamp::from_unix_seconds(1_730_419_200), Timestamp::from_unix_seconds(1_733_011_200));
    /// let report = hub.analytics(&admin, &november).await?;
    /// println!("median first response: {:?}", report.totals.first_response.p50);
    /// # Ok(()) }
    /// ```
    pub async fn analytics(&self, actor: &Actor, query: &AnalyticsQuery) -> Result<AnalyticsReport> {
        self.authorize(actor, Action::ViewAnalytics, Resource::Tenant)?;
        query.validate()?;
        let (done, recorded) = oneshot::channel();
        if self.feed().send(Feed::Flush(done)).await.is_ok() {
            // The task answers once everything queued before is recorded; if it is gone there is
            // nothing to wait for.
            let _ = recorded.await;
        }
        self.inner.analytics.report(actor.tenant(), query).await.map_err(|e| e.with_operation("hub.analytics"))
    }

    /// Queues the messages a webhook delivery stored for the first time (duplicates are not
    /// counted again). Called by the webhook path after the events are accepted; never waits.
    pub(crate) fn observe_accepted(&self, messages: Vec<IngestedMessage>, outcomes: &[Acceptance]) {
        let accepted: Vec<IngestedMessage> = messages
            .into_iter()
            .filter(|message| matches!(outcomes.get(message.index()), Some(Acceptance::Accepted)))
            .collect();
        if accepted.is_empty() {
            return;
        }
        if let Err(error) = self.feed().try_send(Feed::Accepted(accepted)) {
            let dropped = match &error {
                mpsc::error::TrySendError::Full(Feed::Accepted(messages))
                | mpsc::error::TrySendError::Closed(Feed::Accepted(messages)) => messages.len(),
                _ => 0,
            };
            tracing::warn!(target: "unibox::analytics", dropped, "analytics is behind; new messages were not counted");
        }
    }

    /// Queues an outbound message the hub recorded (the send path calls it).
    pub(crate) async fn observe_outbound(&self, message: &Message) {
        self.observe(&message.tenant, vec![Observation::of_outbound(message)]).await;
    }

    /// Queues observations of one tenant, in order.
    pub(crate) async fn observe(&self, tenant: &TenantId, observations: Vec<Observation>) {
        if observations.is_empty() {
            return;
        }
        if self.feed().send(Feed::Observed(tenant.clone(), observations)).await.is_err() {
            tracing::error!(target: "unibox::analytics", %tenant, "the analytics task is gone; a change was not counted");
        }
    }

    fn feed(&self) -> &mpsc::Sender<Feed> {
        self.inner.feed.queue.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(FEED_CAPACITY);
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    runtime.spawn(run(self.inner.inbox.clone(), self.inner.analytics.clone(), receiver));
                }
                // Every caller is async, so this does not happen; without a task, sends fail and say so.
                Err(_) => tracing::error!(target: "unibox::analytics", "no tokio runtime: analytics is off"),
            }
            sender
        })
    }
}

/// The analytics task: drains the queue in rounds until every hub clone is gone.
async fn run(inbox: Arc<dyn Inbox>, analytics: Arc<dyn Analytics>, mut queue: mpsc::Receiver<Feed>) {
    let mut round = Vec::with_capacity(BATCH);
    let mut conversations = ConversationCache::default();
    while queue.recv_many(&mut round, BATCH).await > 0 {
        let mut by_tenant: Vec<(TenantId, Vec<Observation>)> = Vec::new();
        let mut waiting = Vec::new();
        for item in round.drain(..) {
            match item {
                Feed::Observed(tenant, observations) => add(&mut by_tenant, tenant, observations),
                Feed::Accepted(messages) => {
                    for message in messages {
                        if let Some(conversation) = conversations.of(inbox.as_ref(), &message).await {
                            add(&mut by_tenant, message.tenant().clone(), vec![message.observation(conversation)]);
                        }
                    }
                }
                Feed::Flush(done) => waiting.push(done),
            }
        }
        for (tenant, observations) in by_tenant {
            if let Err(error) = analytics.record(&tenant, &observations).await {
                tracing::error!(target: "unibox::analytics", %error, %tenant, "could not record analytics");
            }
        }
        for done in waiting {
            let _ = done.send(());
        }
    }
}

fn add(by_tenant: &mut Vec<(TenantId, Vec<Observation>)>, tenant: TenantId, observations: Vec<Observation>) {
    match by_tenant.iter_mut().find(|(t, _)| *t == tenant) {
        Some((_, all)) => all.extend(observations),
        None => by_tenant.push((tenant, observations)),
    }
}

/// The conversation a stored message landed in: the one of the customer's contact on the
/// message's account (each contact has one per account).
/// The conversation of each customer identity seen lately. A customer writes many messages, and
/// finding the conversation takes two reads (which wait for the events accepted before them), so
/// the task asks the inbox once per identity. Safe to keep: a conversation never changes its
/// account and customer identity (merging contacts moves conversations with their identities).
#[derive(Default)]
struct ConversationCache {
    known: std::collections::HashMap<(TenantId, crate::ContactIdentity), ConversationId>,
}

/// Identities remembered before the cache starts over.
const CACHED_CONVERSATIONS: usize = 65_536;

impl ConversationCache {
    async fn of(&mut self, inbox: &dyn Inbox, message: &IngestedMessage) -> Option<ConversationId> {
        let key = (message.tenant().clone(), message.customer().clone());
        if let Some(conversation) = self.known.get(&key) {
            return Some(*conversation);
        }
        let conversation = conversation_of(inbox, message).await?;
        if self.known.len() >= CACHED_CONVERSATIONS {
            self.known.clear();
        }
        self.known.insert(key, conversation);
        Some(conversation)
    }
}

async fn conversation_of(inbox: &dyn Inbox, message: &IngestedMessage) -> Option<ConversationId> {
    let tenant = message.tenant();
    let found = async {
        let Some(contact) = inbox.contact_by_identity(tenant, message.customer()).await? else {
            return Ok(None);
        };
        let query = ConversationQuery::new().contact(contact.id).account(message.customer().account).limit(1);
        Ok::<_, crate::Error>(inbox.conversations(tenant, &query).await?.items.first().map(|c| c.id))
    }
    .await;
    match found {
        Ok(conversation) => conversation,
        Err(error) => {
            tracing::error!(target: "unibox::analytics", %error, %tenant, "could not find a new message's conversation");
            None
        }
    }
}
