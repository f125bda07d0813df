//! The [`DeletionRequestStore`] port: data-deletion and deauthorization requests that
//! platforms send on a user's behalf (Meta's Data Deletion Request Callback), recorded so
//! their status can be shown, and handed to the privacy lifecycle that erases the data.
//!
//! Platforms name the user by an id of their own (Meta: an app-scoped id) that may differ
//! from the ids messages carry (page- and Instagram-scoped ids). The store keeps the mapping
//! from such ids to contacts whenever it becomes known, so a request can name the contacts
//! to erase.
//!
//! [`DataKeys`] and [`TenantSeal`] seal conversation data at rest (with blind indexes for
//! lookups and search, see [`search_trigrams`]).
//!
//! [`redact`] and [`Redactor`] mask personal data out of text before it is sent to an AI
//! provider or another processor.
//!
//! [`export`] writes a tenant's or a contact's data as JSON Lines and imports it back.

mod callback;
pub mod export;
mod redact;
mod sealing;

pub use callback::PrivacyCallback;
pub use redact::{CARD, EMAIL, PHONE, Redactor, redact};
pub use sealing::{BLIND_LEN, DataKeys, SealedCell, TenantSeal, hex, search_terms, search_trigrams};

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{ContactId, Result, TenantId, Timestamp};

/// What the platform asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrivacyRequestKind {
    /// Delete the user's data (Meta's Data Deletion Request Callback).
    DataDeletion,
    /// The user removed the app (Meta's Deauthorize Callback): stop processing, keep the record.
    Deauthorization,
    /// Delete the whole tenant (its keys are shredded when the request is made).
    TenantDeletion,
    /// Erase named contacts (the right to be forgotten), requested by an operator.
    ContactErasure,
}

impl PrivacyRequestKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            PrivacyRequestKind::DataDeletion => "data_deletion",
            PrivacyRequestKind::Deauthorization => "deauthorization",
            PrivacyRequestKind::TenantDeletion => "tenant_deletion",
            PrivacyRequestKind::ContactErasure => "contact_erasure",
        }
    }
}

/// Where a request stands, as shown on its public status page.
///
/// ```
/// use unibox_core::privacy::DeletionStatus;
/// assert!(DeletionStatus::Received.is_pending());
/// assert!(!DeletionStatus::Completed.is_pending());
/// assert_eq!(DeletionStatus::Completed.describe(), "The data has been deleted.");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DeletionStatus {
    /// Recorded; erasure has not started.
    Received,
    /// Erasure is running.
    InProgress,
    /// The data was erased.
    Completed,
    /// Erasure failed; it will be retried or handled by a person.
    Failed {
        /// Why, in words an operator understands.
        reason: String,
    },
}

impl DeletionStatus {
    /// True until the request is completed.
    pub fn is_pending(&self) -> bool {
        !matches!(self, DeletionStatus::Completed)
    }

    /// The snake_case name.
    pub fn as_str(&self) -> &'static str {
        match self {
            DeletionStatus::Received => "received",
            DeletionStatus::InProgress => "in_progress",
            DeletionStatus::Completed => "completed",
            DeletionStatus::Failed { .. } => "failed",
        }
    }

    /// A sentence for the public status page (never the failure reason, which may be internal).
    pub fn describe(&self) -> &'static str {
        match self {
            DeletionStatus::Received => "The request was received; the data will be deleted shortly.",
            DeletionStatus::InProgress => "The data is being deleted.",
            DeletionStatus::Completed => "The data has been deleted.",
            DeletionStatus::Failed { .. } => "The deletion is delayed and is being handled by our staff.",
        }
    }
}

/// One recorded request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletionRequest {
    /// The tenant whose data it concerns.
    pub tenant: TenantId,
    /// The code given to the platform and the user; unguessable, unique per tenant.
    pub confirmation_code: String,
    /// Deletion or deauthorization.
    pub kind: PrivacyRequestKind,
    /// Who sent it (`"meta"`).
    pub platform: String,
    /// The platform's id of the user (Meta: the app-scoped user id).
    pub platform_user_id: String,
    /// The contacts known to belong to the user when the request arrived (may be empty when
    /// the mapping is unknown: an operator then finds them).
    pub contacts: Vec<ContactId>,
    /// Where it stands.
    pub status: DeletionStatus,
    /// When it arrived.
    pub requested_at: Timestamp,
    /// When the status last changed.
    pub updated_at: Timestamp,
}

impl DeletionRequest {
    /// When the request was completed: its last status change once the status is
    /// [`DeletionStatus::Completed`], `None` before.
    ///
    /// ```
    /// use unibox_core::privacy::{DeletionRequest, DeletionStatus, PrivacyRequestKind};
    /// use unibox_core::Timestamp;
    /// let at = Timestamp::from_unix_seconds(1_700_000_000);
    /// let mut request = DeletionRequest {
    ///     tenant: "acme".parse().unwrap(), confirmation_code: "c0de".into(), kind: PrivacyRequestKind::TenantDeletion,
    ///     platform: "operator".into(), platform_user_id: String::new(), contacts: vec![],
    ///     status: DeletionStatus::InProgress, requested_at: at, updated_at: at,
    /// };
    /// assert_eq!(request.completed_at(), None);
    /// request.status = DeletionStatus::Completed;
    /// assert_eq!(request.completed_at(), Some(at));
    /// ```
    pub fn completed_at(&self) -> Option<Timestamp> {
        matches!(self.status, DeletionStatus::Completed).then_some(self.updated_at)
    }
}

/// A request's platform user id as a store reads it back: `opened` is the result of opening
/// its sealed value, and a value that no longer opens reads as empty.
///
/// The request is the record of a deletion and the lifecycle job's queue: its code, kind,
/// contacts and status are not sealed, and the id is only informative. So an id that does not
/// open reads as empty instead of failing the request: after the tenant's keys were destroyed
/// (`TokenInvalid`: a tenant deletion keeps its requests, and the id was shredded with the
/// keys), and when the keys were destroyed and created again since, or the value was altered
/// (`Storage`, logged as a warning). Every other error is returned as it is.
///
/// ```
/// use unibox_core::privacy::request_user_or_empty;
/// use unibox_core::{Error, ErrorKind};
/// let tenant = "acme".parse().unwrap();
/// assert_eq!(request_user_or_empty(&tenant, "c0de", Ok("1234567890".into())).unwrap(), "1234567890");
/// let shredded = Err(Error::new(ErrorKind::TokenInvalid, "the tenant's keys were destroyed"));
/// assert_eq!(request_user_or_empty(&tenant, "c0de", shredded).unwrap(), "");
/// let full = Err(Error::new(ErrorKind::StorageFull, "the disk is full"));
/// assert_eq!(request_user_or_empty(&tenant, "c0de", full).unwrap_err().kind(), ErrorKind::StorageFull);
/// ```
pub fn request_user_or_empty(tenant: &TenantId, code: &str, opened: Result<String>) -> Result<String> {
    match opened {
        Err(error) if error.kind() == crate::ErrorKind::TokenInvalid => {
            tracing::debug!(target: "unibox::privacy", %tenant, code,
                "the tenant's keys were destroyed: the request's platform user id is unreadable");
            Ok(String::new())
        }
        Err(error) if error.kind() == crate::ErrorKind::Storage => {
            tracing::warn!(target: "unibox::privacy", %tenant, code, %error,
                "a privacy request's platform user id does not open (its key was destroyed, or it was altered): read as empty");
            Ok(String::new())
        }
        opened => opened,
    }
}

/// Records privacy requests and the platform-user-to-contact mapping, per tenant.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use unibox_core::memory::MemoryDeletionRequests;
/// use unibox_core::privacy::{DeletionRequest, DeletionRequestStore, DeletionStatus, PrivacyRequestKind};
/// use unibox_core::{ContactId, Timestamp};
/// let store = MemoryDeletionRequests::new();
/// let tenant = "acme".parse().unwrap();
/// let contact = ContactId::new();
/// store.link_platform_user(&tenant, "meta", "1234567890", contact).await.unwrap();
/// let contacts = store.linked_contacts(&tenant, "meta", "1234567890").await.unwrap();
/// let at = Timestamp::from_unix_seconds(1_700_000_000);
/// let request = DeletionRequest {
///     tenant: tenant.clone(), confirmation_code: "c0de".into(), kind: PrivacyRequestKind::DataDeletion,
///     platform: "meta".into(), platform_user_id: "1234567890".into(), contacts,
///     status: DeletionStatus::Received, requested_at: at, updated_at: at,
/// };
/// store.open(request).await.unwrap();
/// assert_eq!(store.get(&tenant, "c0de").await.unwrap().unwrap().contacts, vec![contact]);
/// assert!(store.get(&"other".parse().unwrap(), "c0de").await.unwrap().is_none());
/// # });
/// ```
#[async_trait]
pub trait DeletionRequestStore: Send + Sync + fmt::Debug + 'static {
    /// Remembers that `platform_user_id` on `platform` is `contact` (adding to earlier links).
    async fn link_platform_user(
        &self,
        tenant: &TenantId,
        platform: &str,
        platform_user_id: &str,
        contact: ContactId,
    ) -> Result<()>;

    /// The contacts linked to `platform_user_id`, oldest link first.
    async fn linked_contacts(
        &self,
        tenant: &TenantId,
        platform: &str,
        platform_user_id: &str,
    ) -> Result<Vec<ContactId>>;

    /// Records a request. Opening the same (tenant, confirmation code) again returns the
    /// stored request unchanged, so a redelivered callback does not create a second one.
    async fn open(&self, request: DeletionRequest) -> Result<DeletionRequest>;

    /// The request with this confirmation code in the tenant, if any.
    async fn get(&self, tenant: &TenantId, confirmation_code: &str) -> Result<Option<DeletionRequest>>;

    /// Moves a request to `status` at `at`; `NotFound` when the tenant has no such request.
    async fn set_status(
        &self,
        tenant: &TenantId,
        confirmation_code: &str,
        status: DeletionStatus,
        at: Timestamp,
    ) -> Result<DeletionRequest>;

    /// The tenant's requests that are not completed, oldest first: the privacy lifecycle's queue.
    async fn pending(&self, tenant: &TenantId) -> Result<Vec<DeletionRequest>>;
}
