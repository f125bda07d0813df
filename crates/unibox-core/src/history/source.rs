//! [`ConversationHistory`]: a platform's conversation and message lists.

use async_trait::async_trait;
use secrecy::SecretString;

use crate::{ChannelAccount, Error, ErrorKind, InboundEvent, Result};

/// One page of pulled events and where the next page starts.
///
/// ```
/// use unibox_core::history::HistoryPage;
/// let page = HistoryPage::more(Vec::new(), "cursor-2");
/// assert_eq!(page.next.as_deref(), Some("cursor-2"));
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct HistoryPage {
    /// The events of the page, with the ids the platform's pushes of the same things get.
    pub events: Vec<InboundEvent>,
    /// The opaque position of the next page; `None` when this was the last.
    pub next: Option<String>,
}

impl HistoryPage {
    /// A page followed by another at `next`.
    pub fn more(events: Vec<InboundEvent>, next: impl Into<String>) -> Self {
        HistoryPage { events, next: Some(next.into()) }
    }

    /// The last page.
    pub fn last(events: Vec<InboundEvent>) -> Self {
        HistoryPage { events, next: None }
    }
}

/// A channel that can list its conversations and messages (Shopee `sellerchat`, Lazada
/// `/im/session/list` + `/im/message/list`, TikTok Shop `customer_service` conversations), and
/// perhaps the pushes it could not deliver (Shopee keeps them 3 days).
///
/// Each call makes a bounded number of platform requests (one listing page, and one message
/// page per conversation on it), so the [`HistoryWorker`](crate::history::HistoryWorker) can
/// pace them. Positions are opaque strings the channel alone reads; an unreadable one is
/// `InvalidInput`. Events must carry the ids the channel's pushes of the same message carry,
/// so a pulled and a pushed copy are one.
///
/// ```
/// use async_trait::async_trait;
/// use secrecy::SecretString;
/// use unibox_core::history::{ConversationHistory, HistoryPage};
/// use unibox_core::{ChannelAccount, Result};
///
/// /// A platform whose history is always empty.
/// struct Empty;
///
/// #[async_trait]
/// impl ConversationHistory for Empty {
///     async fn backfill(&self, _account: &ChannelAccount, _token: Option<&SecretString>, _from: Option<&str>) -> Result<HistoryPage> {
///         Ok(HistoryPage::last(Vec::new()))
///     }
/// }
/// ```
#[async_trait]
pub trait ConversationHistory: Send + Sync {
    /// One page of the account's past conversations with their messages, newest first; `from`
    /// is the `next` of the previous page (`None`: the start).
    async fn backfill(
        &self,
        account: &ChannelAccount,
        access_token: Option<&SecretString>,
        from: Option<&str>,
    ) -> Result<HistoryPage>;

    /// One page of the pushes the platform kept because they were not delivered, oldest first;
    /// the page's `next` is the position [`confirm_lost_pushes`](Self::confirm_lost_pushes)
    /// takes (set whenever the page has events). The default: the platform keeps none.
    async fn lost_pushes(
        &self,
        account: &ChannelAccount,
        access_token: Option<&SecretString>,
        from: Option<&str>,
    ) -> Result<HistoryPage> {
        let _ = (account, access_token, from);
        Err(Error::new(ErrorKind::Unsupported, "this platform keeps no lost pushes to pull")
            .with_operation("history.lost_pushes"))
    }

    /// Tells the platform the lost pushes up to `through` (a page's `next`) are stored, so it
    /// drops them. Called only after the page was durably accepted. The default does nothing.
    async fn confirm_lost_pushes(
        &self,
        account: &ChannelAccount,
        access_token: Option<&SecretString>,
        through: &str,
    ) -> Result<()> {
        let _ = (account, access_token, through);
        Ok(())
    }

    /// Whether [`lost_pushes`](Self::lost_pushes) is supported.
    fn keeps_lost_pushes(&self) -> bool {
        false
    }
}
