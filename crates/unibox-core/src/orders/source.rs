//! [`OrderSource`]: fetching orders from a platform's API.

use async_trait::async_trait;
use secrecy::SecretString;

use crate::orders::{Order, OrderPush};
use crate::{ChannelAccount, ContactIdentity, Error, ErrorKind, OrderUpdate, Result};

/// A channel that can fetch orders from its platform (Shopee `get_order_detail`, Lazada
/// `/order/get` + `/order/items/get`, TikTok Shop `/order/202309/orders`). A channel offers one
/// through [`Channel::orders`](crate::Channel::orders); the hub calls it with the account's
/// fresh access token (refreshed through the token vault like a send).
///
/// Errors map to kinds like a send: an invalid token is `TokenInvalid`, a rate limit
/// `RateLimited` with the platform's delay, an unknown order `NotFound`.
///
/// ```
/// use async_trait::async_trait;
/// use secrecy::SecretString;
/// use unibox_core::orders::{Order, OrderSource};
/// use unibox_core::{ChannelAccount, Result, Timestamp};
///
/// /// A shop whose every order is paid.
/// struct PaidShop;
///
/// #[async_trait]
/// impl OrderSource for PaidShop {
///     async fn fetch_order(&self, account: &ChannelAccount, _token: Option<&SecretString>, order_id: &str) -> Result<Order> {
///         Ok(Order::new(account.tenant.clone(), account.id, order_id, "PAID", Timestamp::from_unix_seconds(1_732_000_000)))
///     }
/// }
/// ```
#[async_trait]
pub trait OrderSource: Send + Sync {
    /// One order by the platform's id, with its items, total, buyer and tracking number as far
    /// as the platform gives them. `tenant` and `account` of the result are the account's.
    async fn fetch_order(
        &self,
        account: &ChannelAccount,
        access_token: Option<&SecretString>,
        order_id: &str,
    ) -> Result<Order>;

    /// The buyer's recent orders (`buyer` is the id their chat identity carries). The default
    /// says the platform cannot list orders by buyer (Shopee and Lazada list orders only by
    /// time).
    async fn fetch_buyer_orders(
        &self,
        account: &ChannelAccount,
        access_token: Option<&SecretString>,
        buyer: &str,
    ) -> Result<Vec<Order>> {
        let _ = (account, access_token, buyer);
        Err(Error::new(ErrorKind::Unsupported, "this platform lists orders only by time, not by buyer")
            .with_operation("orders.fetch_buyer_orders"))
    }

    /// What an order push of this channel says. The default: the update's status.
    fn read_push(&self, update: &OrderUpdate) -> OrderPush {
        OrderPush::status_of(update)
    }

    /// The buyer identity this channel's orders name for `chat`, a chat identity of a contact on
    /// `account`, when it differs from the chat identity: a Lazada chat is keyed by its IM
    /// session, whose id carries the buyer's account id; a TikTok Shop chat by its
    /// conversation, whose buyer `user_id` the conversation list names.
    /// [`Hub::orders_of_contact`](crate::Hub::orders_of_contact) adds it to the contact's
    /// identities. The default: none (the chat identity is the buyer identity, as on Shopee).
    ///
    /// ```
    /// # use unibox_core::orders::OrderSource;
    /// # use unibox_core::{ChannelAccount, ContactIdentity, IdentityKind};
    /// # async fn show(source: &dyn OrderSource, account: &ChannelAccount, token: &secrecy::SecretString) -> unibox_core::Result<()> {
    /// let chat = ContactIdentity {
    ///     account: account.id,
    ///     kind: IdentityKind::Other("lazada_session".into()),
    ///     value: "100094063_2_1011822749_1_103".into(),
    /// };
    /// if let Some(buyer) = source.order_buyer(account, Some(token), &chat).await? {
    ///     println!("orders of {:?} {}", buyer.kind, buyer.value);
    /// }
    /// # Ok(()) }
    /// ```
    async fn order_buyer(
        &self,
        account: &ChannelAccount,
        access_token: Option<&SecretString>,
        chat: &ContactIdentity,
    ) -> Result<Option<ContactIdentity>> {
        let _ = (account, access_token, chat);
        Ok(None)
    }
}
