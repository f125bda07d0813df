//! Orders beside conversations: order pushes applied to the stored order, orders fetched
//! through the channel's [`OrderSource`](crate::orders::OrderSource), and the orders of a
//! contact across channels.

use std::sync::Arc;

use crate::hub::Hub;
use crate::inbox::RoutedEvent;
use crate::orders::{MAX_ORDERS_LISTED, Order, OrderChange, OrderStore};
use crate::{
    Action, Actor, Channel, ChannelAccount, ChannelAccountId, ContactId, ConversationId, Error, ErrorKind, EventKind,
    Resource, Result,
};

impl Hub {
    /// The store's orders, when it keeps them.
    pub fn order_store(&self) -> Option<&Arc<dyn OrderStore>> {
        self.inner.store.orders.as_ref()
    }

    fn orders_or_unsupported(&self, operation: &'static str) -> Result<&Arc<dyn OrderStore>> {
        self.inner.store.orders.as_ref().ok_or_else(|| {
            Error::new(ErrorKind::Unsupported, "this hub's store keeps no orders (StoreCapabilities::orders)")
                .with_operation(operation)
        })
    }

    /// The orders of a contact across every channel: each identity of the contact (a Shopee
    /// buyer id, a TikTok Shop buyer, a WhatsApp number that sent a cart) finds the orders of
    /// that buyer on that account; most recently updated first, at most
    /// [`MAX_ORDERS_LISTED`]. Requires [`Action::ReadConversations`].
    ///
    /// ```
    /// # async fn show(hub: unibox_core::Hub, actor: unibox_core::Actor, contact: unibox_core::ContactId) -> unibox_core::Result<()> {
    /// for order in hub.orders_of_contact(&actor, contact).await? {
    ///     println!("{} {} {:?} {:?}", order.order_id, order.status, order.total, order.tracking_number);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn orders_of_contact(&self, actor: &Actor, contact: ContactId) -> Result<Vec<Order>> {
        const OP: &str = "hub.orders_of_contact";
        self.authorize(actor, Action::ReadConversations, Resource::Tenant)?;
        let orders = self.orders_or_unsupported(OP)?;
        let contact =
            self.inner.store.reads.contact(actor.tenant(), contact).await.map_err(|e| e.with_operation(OP))?;
        let buyers = self.with_order_buyers(actor.tenant(), contact.identities).await;
        orders.orders_of_buyers(actor.tenant(), &buyers, MAX_ORDERS_LISTED).await
    }

    /// `identities` and the buyer identities their channels' orders name for them
    /// ([`OrderSource::order_buyer`](crate::orders::OrderSource::order_buyer): a Lazada chat is
    /// keyed by its IM session, a TikTok Shop chat by its conversation, while orders name the
    /// buyer id). An identity whose account or channel is gone adds nothing; a failed lookup
    /// is logged and adds nothing, so the orders found through the other identities still show.
    async fn with_order_buyers(
        &self,
        tenant: &crate::TenantId,
        identities: Vec<crate::ContactIdentity>,
    ) -> Vec<crate::ContactIdentity> {
        let mut buyers = identities.clone();
        for identity in &identities {
            let Ok(account) = self.inner.store.accounts.account(tenant, identity.account).await else { continue };
            let Ok(channel) = self.channel_of(&account).cloned() else { continue };
            let Some(source) = channel.orders() else { continue };
            let found = match self.access_token(tenant, &account).await {
                Ok(tokens) => source.order_buyer(&account, tokens.as_ref().map(|t| &t.access_token), identity).await,
                Err(error) => Err(error),
            };
            match found {
                Ok(Some(buyer)) if buyer.account == identity.account && !buyers.contains(&buyer) => buyers.push(buyer),
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(target: "unibox::orders", %error, account = %account.id, "could not find the buyer of a chat")
                }
            }
        }
        buyers
    }

    /// The orders beside one conversation: those of its contact on its account. Their
    /// [`history`](Order::history) holds the order's status changes, the system events to show
    /// among the conversation's messages. Requires [`Action::ReadConversations`] on the
    /// conversation.
    pub async fn conversation_orders(&self, actor: &Actor, conversation: ConversationId) -> Result<Vec<Order>> {
        const OP: &str = "hub.conversation_orders";
        let conversation = self.conversation(actor, conversation).await?;
        let orders = self.orders_or_unsupported(OP)?;
        let contact = self
            .inner
            .store
            .reads
            .contact(actor.tenant(), conversation.contact)
            .await
            .map_err(|e| e.with_operation(OP))?;
        let identities: Vec<_> =
            contact.identities.into_iter().filter(|identity| identity.account == conversation.account).collect();
        let buyers = self.with_order_buyers(actor.tenant(), identities).await;
        orders.orders_of_buyers(actor.tenant(), &buyers, MAX_ORDERS_LISTED).await
    }

    /// One stored order of the actor's tenant. Requires [`Action::ReadConversations`]. Fails
    /// with `NotFound` when it is not stored.
    pub async fn order(&self, actor: &Actor, account: ChannelAccountId, order_id: &str) -> Result<Order> {
        const OP: &str = "hub.order";
        self.authorize(actor, Action::ReadConversations, Resource::Tenant)?;
        self.orders_or_unsupported(OP)?.order(actor.tenant(), account, order_id).await?.ok_or_else(|| {
            Error::new(ErrorKind::NotFound, "no such order is stored")
                .with_operation(OP)
                .with_context("order", order_id)
        })
    }

    /// Fetches an order from the platform through the account's channel and stores it (merged
    /// with what pushes said). Requires [`Action::ReadConversations`]. Fails with `Unsupported`
    /// when the channel has no order API.
    pub async fn refresh_order(&self, actor: &Actor, account: ChannelAccountId, order_id: &str) -> Result<Order> {
        const OP: &str = "hub.refresh_order";
        self.authorize(actor, Action::ReadConversations, Resource::Tenant)?;
        let account =
            self.inner.store.accounts.account(actor.tenant(), account).await.map_err(|e| e.with_operation(OP))?;
        self.fetch_and_store_order(&account, order_id).await.map_err(|e| e.with_operation(OP))
    }

    /// Fetches the buyer's orders from the platform (`buyer` as their chat identity names
    /// them) and stores each. Requires [`Action::ReadConversations`]. Fails with `Unsupported`
    /// when the platform lists orders only by time (Shopee, Lazada).
    pub async fn refresh_buyer_orders(
        &self,
        actor: &Actor,
        account: ChannelAccountId,
        buyer: &str,
    ) -> Result<Vec<Order>> {
        const OP: &str = "hub.refresh_buyer_orders";
        self.authorize(actor, Action::ReadConversations, Resource::Tenant)?;
        let store = self.orders_or_unsupported(OP)?.clone();
        let account =
            self.inner.store.accounts.account(actor.tenant(), account).await.map_err(|e| e.with_operation(OP))?;
        let channel = self.channel_of(&account)?.clone();
        let source = channel.orders().ok_or_else(|| no_order_api(&account, OP))?;
        let tokens = self.access_token(&account.tenant, &account).await.map_err(|e| e.with_operation(OP))?;
        let fetched = source
            .fetch_buyer_orders(&account, tokens.as_ref().map(|t| &t.access_token), buyer)
            .await
            .map_err(|e| e.with_operation(OP))?;
        let mut stored = Vec::with_capacity(fetched.len());
        for order in fetched {
            stored.push(store.merge_order(owned_by(order, &account)).await?);
        }
        Ok(stored)
    }

    async fn fetch_and_store_order(&self, account: &ChannelAccount, order_id: &str) -> Result<Order> {
        let store = self.orders_or_unsupported("hub.orders.fetch")?.clone();
        let channel = self.channel_of(account)?.clone();
        let source = channel.orders().ok_or_else(|| no_order_api(account, "hub.orders.fetch"))?;
        let tokens = self.access_token(&account.tenant, account).await?;
        let fetched = source.fetch_order(account, tokens.as_ref().map(|t| &t.access_token), order_id).await?;
        store.merge_order(owned_by(fetched, account)).await
    }

    /// Applies the order pushes among `routed` to the stored orders, before the events are
    /// accepted. An order a push leaves incomplete (no buyer or no items: Shopee and TikTok
    /// Shop push only the status) is then fetched through the channel's order API in the
    /// background; a failed fetch is logged and the order stays as the push left it
    /// ([`refresh_order`](Hub::refresh_order) fetches it again).
    pub(super) async fn apply_order_pushes(&self, channel: &dyn Channel, routed: &[RoutedEvent]) -> Result<()> {
        let Some(store) = self.inner.store.orders.as_ref() else { return Ok(()) };
        for routed in routed {
            let EventKind::OrderUpdate(update) = &routed.event.kind else { continue };
            if update.order_id.is_empty() {
                continue;
            }
            let push =
                channel.orders().map_or_else(|| crate::orders::OrderPush::status_of(update), |s| s.read_push(update));
            let at = routed.event.occurred_at;
            let mut order = Order::new(
                routed.tenant.clone(),
                routed.account,
                update.order_id.clone(),
                push.status.clone().unwrap_or_default(),
                at,
            );
            order.buyer = update.buyer.clone();
            order.tracking_number = push.tracking_number.clone();
            order.items = push.items;
            order.total = push.total;
            order.currency = push.currency;
            order.history.push(OrderChange {
                event_id: routed.event.id.clone(),
                status: push.status,
                tracking_number: push.tracking_number,
                at,
            });
            let stored = store.merge_order(order).await.map_err(|e| e.with_operation("hub.orders.push"))?;
            if (stored.buyer.is_none() || stored.items.is_empty()) && channel.orders().is_some() {
                self.complete_order_later(routed.tenant.clone(), routed.account, stored.order_id);
            }
        }
        Ok(())
    }

    fn complete_order_later(&self, tenant: crate::TenantId, account: ChannelAccountId, order_id: String) {
        let hub = self.clone();
        let complete = async move {
            let fetched = match hub.inner.store.accounts.account(&tenant, account).await {
                Ok(account) => hub.fetch_and_store_order(&account, &order_id).await,
                Err(error) => Err(error),
            };
            if let Err(error) = fetched {
                tracing::warn!(target: "unibox::orders", %error, %account, order = %order_id, "could not fetch the pushed order's details");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(complete);
            }
            Err(_) => {
                tracing::warn!(target: "unibox::orders", "no tokio runtime: the pushed order's details are not fetched")
            }
        }
    }
}

/// The fetched order as the account's: a source cannot move an order to another tenant.
fn owned_by(mut order: Order, account: &ChannelAccount) -> Order {
    order.tenant = account.tenant.clone();
    order.account = account.id;
    order
}

fn no_order_api(account: &ChannelAccount, operation: &'static str) -> Error {
    Error::new(ErrorKind::Unsupported, format!("the {} channel has no order API", account.channel))
        .with_operation(operation)
}
