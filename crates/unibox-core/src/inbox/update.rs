//! [`ConversationUpdate`]: a change to a conversation's workflow fields, applied alike by every backend.

use crate::{Conversation, ConversationStatus, Error, ErrorKind, Result, Timestamp, UserId};

/// The longest tag [`ConversationUpdate`] accepts, in bytes.
pub const MAX_TAG_LEN: usize = 64;
/// The most tags a conversation can carry.
pub const MAX_TAGS: usize = 50;

/// A change to a conversation's workflow fields, for [`TeamWorkflow::update_conversation`](super::TeamWorkflow::update_conversation). Fields
/// left unset keep their value.
///
/// Every backend applies it with [`ConversationUpdate::apply`], so they agree on the details:
/// any status other than snoozed clears `snoozed_until`, tags are trimmed, sorted and unique,
/// and marking read sets the unread count to zero.
///
/// ```
/// use unibox_core::inbox::ConversationUpdate;
/// use unibox_core::{ConversationStatus, Timestamp};
/// let update = ConversationUpdate::new().status(ConversationStatus::Resolved).tags(["vip", "refund"]).mark_read();
/// assert!(update.validate().is_ok());
/// assert!(ConversationUpdate::new().status(ConversationStatus::Snoozed).validate().is_err());
/// assert!(ConversationUpdate::new().snooze(Timestamp::from_unix_seconds(60)).validate().is_ok());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConversationUpdate {
    /// The new status. [`ConversationStatus::Snoozed`] requires `snoozed_until`.
    pub status: Option<ConversationStatus>,
    /// When a snoozed conversation wakes up; only with [`ConversationStatus::Snoozed`].
    pub snoozed_until: Option<Timestamp>,
    /// The new assignee: `Some(None)` unassigns.
    pub assignee: Option<Option<UserId>>,
    /// The new tags, replacing the old ones.
    pub tags: Option<Vec<String>>,
    /// Sets the unread count to zero.
    pub mark_read: bool,
    /// When the change happens by the caller's clock (the hub's); the change log records it, and
    /// analytics measures from it. `None`: the store's clock.
    pub at: Option<Timestamp>,
}

impl ConversationUpdate {
    /// An update that changes nothing yet.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the status (use [`snooze`](Self::snooze) to snooze).
    pub fn status(mut self, status: ConversationStatus) -> Self {
        self.status = Some(status);
        self
    }
    /// Snoozes until `until`.
    pub fn snooze(mut self, until: Timestamp) -> Self {
        self.status = Some(ConversationStatus::Snoozed);
        self.snoozed_until = Some(until);
        self
    }
    /// Assigns the conversation to `user`.
    pub fn assign(mut self, user: UserId) -> Self {
        self.assignee = Some(Some(user));
        self
    }
    /// Removes the assignee.
    pub fn unassign(mut self) -> Self {
        self.assignee = Some(None);
        self
    }
    /// Replaces the tags.
    pub fn tags<I, S>(mut self, tags: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.tags = Some(tags.into_iter().map(Into::into).collect());
        self
    }
    /// Marks every message read.
    pub fn mark_read(mut self) -> Self {
        self.mark_read = true;
        self
    }
    /// Says when the change happens (the caller's clock).
    pub fn at(mut self, at: Timestamp) -> Self {
        self.at = Some(at);
        self
    }
    /// Checks the snooze time and the tags.
    pub fn validate(&self) -> Result<()> {
        let snoozing = self.status == Some(ConversationStatus::Snoozed);
        if snoozing != self.snoozed_until.is_some() {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "a snooze needs a wake-up time, and only a snooze has one",
            ));
        }
        if let Some(tags) = &self.tags {
            if tags.len() > MAX_TAGS {
                return Err(Error::new(
                    ErrorKind::InvalidInput,
                    format!("a conversation carries at most {MAX_TAGS} tags"),
                ));
            }
            for tag in tags {
                let tag = tag.trim();
                if tag.is_empty() || tag.len() > MAX_TAG_LEN {
                    return Err(Error::new(
                        ErrorKind::InvalidInput,
                        format!("tags must be 1 to {MAX_TAG_LEN} bytes long"),
                    ));
                }
            }
        }
        Ok(())
    }
    /// Validates the update and applies it to `conversation`.
    ///
    /// ```
    /// # use unibox_core::inbox::ConversationUpdate;
    /// # fn show(conversation: &mut unibox_core::Conversation) -> unibox_core::Result<()> {
    /// ConversationUpdate::new().tags([" vip", "vip", "refund"]).apply(conversation)?;
    /// assert_eq!(conversation.tags, vec!["refund", "vip"]);
    /// # Ok(()) }
    /// ```
    pub fn apply(&self, conversation: &mut Conversation) -> Result<()> {
        self.validate()?;
        if let Some(status) = self.status {
            conversation.status = status;
            conversation.snoozed_until = self.snoozed_until;
        }
        if let Some(assignee) = &self.assignee {
            conversation.assignee = assignee.clone();
        }
        if let Some(tags) = &self.tags {
            let mut tags: Vec<String> = tags.iter().map(|t| t.trim().to_string()).collect();
            tags.sort();
            tags.dedup();
            conversation.tags = tags;
        }
        if self.mark_read {
            conversation.unread_count = 0;
        }
        Ok(())
    }
}
