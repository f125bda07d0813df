//! The listings the read port answers: conversations, a conversation's messages, search.

use super::page::{Cursor, DEFAULT_PAGE_SIZE, check_limit};
use crate::{ChannelAccountId, ContactId, ConversationStatus, Error, ErrorKind, Result, UserId};

/// Which assignee a conversation listing wants.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssigneeFilter {
    /// Conversations nobody works.
    Unassigned,
    /// Conversations this user works.
    User(UserId),
}

/// A conversation listing: filters, page size and position. Results are ordered by last
/// activity, newest first.
///
/// ```
/// use unibox_core::inbox::ConversationQuery;
/// use unibox_core::ConversationStatus;
/// let query = ConversationQuery::new().status(ConversationStatus::Open).unread_only().limit(20);
/// assert!(query.validate().is_ok());
/// assert!(ConversationQuery::new().limit(0).validate().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationQuery {
    /// Only this status.
    pub status: Option<ConversationStatus>,
    /// Only this channel account.
    pub account: Option<ChannelAccountId>,
    /// Only this contact's conversations (one per channel account they wrote on).
    pub contact: Option<ContactId>,
    /// Only this assignee (or only unassigned).
    pub assignee: Option<AssigneeFilter>,
    /// Only conversations with this tag.
    pub tag: Option<String>,
    /// Only conversations with unread messages.
    pub unread_only: bool,
    /// Page size, 1 to [`MAX_PAGE_SIZE`](super::MAX_PAGE_SIZE).
    pub limit: usize,
    /// Continue after this position.
    pub after: Option<Cursor>,
}

impl Default for ConversationQuery {
    fn default() -> Self {
        ConversationQuery {
            status: None,
            account: None,
            contact: None,
            assignee: None,
            tag: None,
            unread_only: false,
            limit: DEFAULT_PAGE_SIZE,
            after: None,
        }
    }
}

impl ConversationQuery {
    /// All conversations, first page of [`DEFAULT_PAGE_SIZE`].
    pub fn new() -> Self {
        Self::default()
    }
    /// Only this status.
    pub fn status(mut self, status: ConversationStatus) -> Self {
        self.status = Some(status);
        self
    }
    /// Only this account.
    pub fn account(mut self, account: ChannelAccountId) -> Self {
        self.account = Some(account);
        self
    }
    /// Only this contact's conversations.
    pub fn contact(mut self, contact: ContactId) -> Self {
        self.contact = Some(contact);
        self
    }
    /// Only this assignee filter.
    pub fn assignee(mut self, assignee: AssigneeFilter) -> Self {
        self.assignee = Some(assignee);
        self
    }
    /// Only this tag.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }
    /// Only unread conversations.
    pub fn unread_only(mut self) -> Self {
        self.unread_only = true;
        self
    }
    /// The page size.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }
    /// Continue after a cursor.
    pub fn after(mut self, cursor: Option<Cursor>) -> Self {
        self.after = cursor;
        self
    }
    /// Checks the page size.
    pub fn validate(&self) -> Result<()> {
        check_limit(self.limit)
    }
}

/// A page of a conversation's messages, newest first; `before` continues towards older ones.
///
/// ```
/// use unibox_core::inbox::MessageQuery;
/// assert_eq!(MessageQuery::new().limit(10).limit, 10);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageQuery {
    /// Page size, 1 to [`MAX_PAGE_SIZE`](super::MAX_PAGE_SIZE).
    pub limit: usize,
    /// Continue with messages older than this position.
    pub before: Option<Cursor>,
}

impl Default for MessageQuery {
    fn default() -> Self {
        MessageQuery { limit: DEFAULT_PAGE_SIZE, before: None }
    }
}

impl MessageQuery {
    /// The newest [`DEFAULT_PAGE_SIZE`] messages.
    pub fn new() -> Self {
        Self::default()
    }
    /// The page size.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }
    /// Continue before a cursor.
    pub fn before(mut self, cursor: Option<Cursor>) -> Self {
        self.before = cursor;
        self
    }
    /// Checks the page size.
    pub fn validate(&self) -> Result<()> {
        check_limit(self.limit)
    }
}

/// A full-text search over one tenant's messages, newest first.
///
/// Every whitespace-separated term must occur in the message's text, case-insensitively, as
/// a substring: that works for languages written without spaces (Thai, Chinese, Japanese).
///
/// ```
/// use unibox_core::inbox::SearchQuery;
/// assert_eq!(SearchQuery::new("refund order").terms(), vec!["refund", "order"]);
/// assert!(SearchQuery::new("   ").validate().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchQuery {
    /// The search text.
    pub text: String,
    /// Page size, 1 to [`MAX_PAGE_SIZE`](super::MAX_PAGE_SIZE).
    pub limit: usize,
    /// Continue with older matches.
    pub before: Option<Cursor>,
}

impl SearchQuery {
    /// A search for `text`, first page.
    pub fn new(text: impl Into<String>) -> Self {
        SearchQuery { text: text.into(), limit: DEFAULT_PAGE_SIZE, before: None }
    }
    /// The page size.
    pub fn limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }
    /// Continue before a cursor.
    pub fn before(mut self, cursor: Option<Cursor>) -> Self {
        self.before = cursor;
        self
    }
    /// The terms, as typed.
    pub fn terms(&self) -> Vec<&str> {
        self.text.split_whitespace().collect()
    }
    /// Checks the text and page size.
    pub fn validate(&self) -> Result<()> {
        check_limit(self.limit)?;
        if self.terms().is_empty() {
            return Err(Error::new(ErrorKind::InvalidInput, "search text is empty"));
        }
        if self.text.len() > 1024 {
            return Err(Error::new(ErrorKind::InvalidInput, "search text is longer than 1024 bytes"));
        }
        Ok(())
    }
}
