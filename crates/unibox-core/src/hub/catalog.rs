//! The product catalog: syncing an account's products from its platform, searching them, and
//! sending one as a product card.

use std::sync::Arc;

use crate::catalog::{CatalogStore, MAX_PRODUCTS_LISTED, Product};
use crate::hub::Hub;
use crate::{Action, Actor, ChannelAccountId, ConversationId, Error, ErrorKind, Message, Resource, Result};

/// The most pages one [`Hub::sync_catalog`] call reads (at 100 products a page, 50,000).
const MAX_SYNC_PAGES: usize = 500;

impl Hub {
    /// The store's catalog, when it keeps one.
    pub fn catalog_store(&self) -> Option<&Arc<dyn CatalogStore>> {
        self.inner.store.catalog.as_ref()
    }

    fn catalog_or_unsupported(&self, operation: &'static str) -> Result<&Arc<dyn CatalogStore>> {
        self.inner.store.catalog.as_ref().ok_or_else(|| {
            Error::new(ErrorKind::Unsupported, "this hub's store keeps no catalog (StoreCapabilities::catalog)")
                .with_operation(operation)
        })
    }

    /// Reads every product of the account from its platform (through the channel's
    /// [`ProductSource`](crate::catalog::ProductSource), with the account's fresh token) and
    /// stores them page by page; returns how many. Requires [`Action::ManageChannels`] on the
    /// account.
    pub async fn sync_catalog(&self, actor: &Actor, account: ChannelAccountId) -> Result<usize> {
        const OP: &str = "hub.sync_catalog";
        let store = self.catalog_or_unsupported(OP)?.clone();
        let account =
            self.inner.store.accounts.account(actor.tenant(), account).await.map_err(|e| e.with_operation(OP))?;
        self.authorize(actor, Action::ManageChannels, Resource::ChannelAccount(&account))?;
        let channel = self.channel_of(&account)?.clone();
        let source = channel.catalog().ok_or_else(|| {
            Error::new(ErrorKind::Unsupported, format!("the {} channel cannot list products", account.channel))
                .with_operation(OP)
        })?;
        let mut from: Option<String> = None;
        let mut synced = 0;
        for _ in 0..MAX_SYNC_PAGES {
            let tokens = self.access_token(&account.tenant, &account).await.map_err(|e| e.with_operation(OP))?;
            let page = source
                .list_products(&account, tokens.as_ref().map(|t| &t.access_token), from.as_deref())
                .await
                .map_err(|e| e.with_operation(OP))?;
            // A source cannot file products under another tenant or account.
            let products: Vec<Product> = page
                .products
                .into_iter()
                .map(|mut product| {
                    product.tenant = account.tenant.clone();
                    product.account = account.id;
                    product
                })
                .collect();
            store.save_products(&products).await.map_err(|e| e.with_operation(OP))?;
            synced += products.len();
            match page.next {
                Some(next) => from = Some(next),
                None => break,
            }
        }
        Ok(synced)
    }

    /// The actor's tenant's products whose title or id contains every term of `query`
    /// (ignoring case), at most `limit` (capped at [`MAX_PRODUCTS_LISTED`]). Requires
    /// [`Action::ReadConversations`].
    ///
    /// ```
    /// # async fn show(hub: unibox_core::Hub, actor: unibox_core::Actor, conversation: unibox_core::ConversationId) -> unibox_core::Result<()> {
    /// let found = hub.search_products(&actor, "silk scarf", 5).await?;
    /// if let Some(product) = found.first() {
    ///     hub.send_product(&actor, conversation, product.account, &product.product_id).await?;
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn search_products(&self, actor: &Actor, query: &str, limit: usize) -> Result<Vec<Product>> {
        const OP: &str = "hub.search_products";
        self.authorize(actor, Action::ReadConversations, Resource::Tenant)?;
        self.catalog_or_unsupported(OP)?.search_products(actor.tenant(), query, limit.min(MAX_PRODUCTS_LISTED)).await
    }

    /// Sends a stored product as a product card ([`Product::card`]) in a conversation, like
    /// [`send`](Hub::send) (authorized, recorded before it is attempted, through the outbox when
    /// the store has one). The product must belong to the conversation's account: a shop's item
    /// id means nothing on another platform. Fails with `NotFound` for an unknown product.
    pub async fn send_product(
        &self,
        actor: &Actor,
        conversation: ConversationId,
        account: ChannelAccountId,
        product_id: &str,
    ) -> Result<Message> {
        const OP: &str = "hub.send_product";
        self.authorize(actor, Action::ReadConversations, Resource::Tenant)?;
        let product = self
            .catalog_or_unsupported(OP)?
            .product(actor.tenant(), account, product_id)
            .await?
            .ok_or_else(|| Error::new(ErrorKind::NotFound, "no such product in the catalog").with_operation(OP))?;
        let target = self.conversation(actor, conversation).await?;
        if target.account != product.account {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "the product belongs to another channel account than the conversation; send it from its own shop",
            )
            .with_operation(OP));
        }
        self.send(actor, conversation, product.card()).await
    }
}
