//! [`PrivacyCallback`]: a platform's privacy endpoints (data-deletion request, deauthorization,
//! status page), as the server mounts them without knowing the platform.

use std::fmt;

use async_trait::async_trait;

use crate::Result;
use crate::channel::{WebhookRequest, WebhookResponse};

/// A platform's privacy callbacks. Meta's `DataDeletionCallback` (crate
/// `unibox-channel-meta`) is one; the axum server mounts any of them under
/// `/privacy/{platform}/...` (`WebhookServer::privacy_callback`).
///
/// ```
/// fn mountable(_: &dyn unibox_core::privacy::PrivacyCallback) {}
/// ```
#[async_trait]
pub trait PrivacyCallback: Send + Sync + fmt::Debug + 'static {
    /// A data-deletion request (a POST): records it, starts the erasure, and answers as the
    /// platform requires (Meta: the status URL and the confirmation code).
    async fn deletion(&self, request: &WebhookRequest) -> Result<WebhookResponse>;

    /// A deauthorization (a POST): records it.
    async fn deauthorization(&self, request: &WebhookRequest) -> Result<WebhookResponse>;

    /// The public status page of a request (a GET with the confirmation code).
    async fn status(&self, request: &WebhookRequest) -> Result<WebhookResponse>;
}
