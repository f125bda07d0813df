//! Pulling as well as pushing: channels whose platform can list conversations and messages
//! (Shopee, Lazada, TikTok Shop) back-fill a shop's history when it connects and recover pushes
//! that never arrived.
//!
//! - [`ConversationHistory`]: a channel's list APIs, page by page, as [`InboundEvent`](crate::InboundEvent)s
//!   whose ids are the ones its pushes get, offered through [`Channel::history`](crate::Channel::history).
//! - [`SyncCursorStore`]: where each account's position is kept durably
//!   ([`Store::sync_cursors`](crate::store::Store::sync_cursors)), so a restart resumes, not
//!   restarts.
//! - [`HistoryWorker`]: runs the pulls for accounts, paced by the channel's rate limits, and
//!   feeds every page through [`Hub::accept_pulled`](crate::Hub::accept_pulled), the webhook's
//!   own accept path: a message pulled and pushed is stored once.
//!
//! ```
//! use unibox_core::history::{HistoryPage, SyncStream};
//! let page = HistoryPage::last(Vec::new());
//! assert!(page.next.is_none());
//! assert_eq!(SyncStream::Backfill.as_str(), "backfill");
//! ```

mod cursor;
mod source;
mod worker;

pub use cursor::{SyncCursor, SyncCursorStore, SyncStream};
pub use source::{ConversationHistory, HistoryPage};
pub use worker::{HistoryWorker, SyncReport};
