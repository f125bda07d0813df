//! [`SyncCursorStore`]: the durable position of each pull.

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{ChannelAccountId, Result, TenantId, Timestamp};

/// Which pull a cursor belongs to.
///
/// ```
/// use unibox_core::history::SyncStream;
/// assert_eq!(SyncStream::LostPushes.as_str(), "lost_pushes");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SyncStream {
    /// The history back-fill of a newly connected account.
    Backfill,
    /// Recovery of pushes the platform could not deliver.
    LostPushes,
}

impl SyncStream {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncStream::Backfill => "backfill",
            SyncStream::LostPushes => "lost_pushes",
        }
    }
}

/// Where a pull stands: the position of the next page, or finished.
///
/// ```
/// use unibox_core::history::SyncCursor;
/// use unibox_core::Timestamp;
/// let at = Timestamp::from_unix_seconds(1_732_000_000);
/// assert!(!SyncCursor::at("page-2", at).finished);
/// assert!(SyncCursor::finished(at).position.is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SyncCursor {
    /// The channel's opaque position of the next page; `None` with `finished` false means the
    /// start.
    pub position: Option<String>,
    /// The pull went through its last page.
    pub finished: bool,
    /// When the cursor last moved.
    pub updated_at: Timestamp,
}

impl SyncCursor {
    /// A pull that goes on at `position`.
    pub fn at(position: impl Into<String>, updated_at: Timestamp) -> Self {
        SyncCursor { position: Some(position.into()), finished: false, updated_at }
    }

    /// A pull that has not moved past its start.
    pub fn start(updated_at: Timestamp) -> Self {
        SyncCursor { position: None, finished: false, updated_at }
    }

    /// A pull that is done.
    pub fn finished(updated_at: Timestamp) -> Self {
        SyncCursor { position: None, finished: true, updated_at }
    }
}

/// Where pull cursors are kept, per tenant, account and [`SyncStream`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> unibox_core::Result<()> {
/// use unibox_core::history::{SyncCursor, SyncCursorStore, SyncStream};
/// use unibox_core::memory::MemorySyncCursors;
/// use unibox_core::{ChannelAccountId, Timestamp};
/// let cursors = MemorySyncCursors::new();
/// let account = ChannelAccountId::new();
/// let cursor = SyncCursor::at("page-2", Timestamp::from_unix_seconds(1_732_000_000));
/// cursors.save_cursor(&"acme".parse()?, account, SyncStream::Backfill, &cursor).await?;
/// assert_eq!(cursors.cursor(&"acme".parse()?, account, SyncStream::Backfill).await?, Some(cursor));
/// assert_eq!(cursors.cursor(&"globex".parse()?, account, SyncStream::Backfill).await?, None);
/// # Ok(()) }
/// ```
#[async_trait]
pub trait SyncCursorStore: Send + Sync + fmt::Debug + 'static {
    /// The cursor of a pull, if it ever moved.
    async fn cursor(
        &self,
        tenant: &TenantId,
        account: ChannelAccountId,
        stream: SyncStream,
    ) -> Result<Option<SyncCursor>>;

    /// Replaces the cursor of a pull; durable when it returns.
    async fn save_cursor(
        &self,
        tenant: &TenantId,
        account: ChannelAccountId,
        stream: SyncStream,
        cursor: &SyncCursor,
    ) -> Result<()>;
}
