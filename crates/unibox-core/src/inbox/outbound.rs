//! [`OutboundMessages`]: the port a send is recorded through when the store has no outbox.

use std::fmt;

use async_trait::async_trait;

use super::OutboundDraft;
use crate::{DeliveryStatus, Message, MessageId, Result, TenantId};

/// Outbound messages recorded before they are sent, and their delivery afterwards. With an
/// [`Outbox`](crate::outbox::Outbox) the hub records sends as outbox jobs instead; receipts of
/// either kind are merged here with [`DeliveryStatus::merge`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> unibox_core::Result<()> {
/// use unibox_core::inbox::OutboundMessages;
/// use unibox_core::{DeliveryStatus, ErrorKind, MessageId};
/// let outbound = unibox_core::memory::MemoryInbox::new();
/// let unknown = outbound.update_delivery(&"acme".parse()?, MessageId::new(), DeliveryStatus::Sent, None).await;
/// assert_eq!(unknown.unwrap_err().kind(), ErrorKind::NotFound);
/// # Ok(())
/// # }
/// ```
#[async_trait]
pub trait OutboundMessages: Send + Sync + fmt::Debug + 'static {
    /// Records an outbound message as [`DeliveryStatus::Queued`] before any attempt to send it
    /// ([`OutboundDraft::into_queued_message`]). The draft id is an idempotency key: the same
    /// draft again returns the recorded message.
    async fn record_outbound(&self, tenant: &TenantId, draft: OutboundDraft) -> Result<Message>;

    /// Moves an outbound message's status (merged with [`DeliveryStatus::merge`]) and sets its
    /// platform id once the platform accepted it; receipts that arrived earlier then apply, and
    /// an echo of it that arrived earlier is folded into it.
    async fn update_delivery(
        &self,
        tenant: &TenantId,
        message: MessageId,
        status: DeliveryStatus,
        platform_message_id: Option<&str>,
    ) -> Result<Message>;
}
