//! [`ConversationScope`]: the conversations an actor may see, as a filter stores apply to
//! listings and searches.

use std::collections::BTreeSet;

use crate::{ChannelAccountId, Conversation, UserId};

/// Which assignees' conversations are in scope.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssigneeScope {
    /// Any assignee, and unassigned.
    Any,
    /// Only conversations assigned to one of these users, plus unassigned ones when
    /// `unassigned` is true.
    Users {
        /// The assignees in scope.
        users: BTreeSet<UserId>,
        /// Whether unassigned conversations are in scope.
        unassigned: bool,
    },
}

/// The conversations an actor may see: a filter a store applies to listings, so a restricted
/// member's inbox shows exactly what [`Policy::authorize`](crate::Policy::authorize) allows.
///
/// ```
/// use unibox_core::policy::ConversationScope;
/// let scope = ConversationScope::all();
/// assert!(scope.is_unrestricted());
/// assert!(ConversationScope::nothing().accounts.unwrap().is_empty());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConversationScope {
    /// Only conversations on these accounts (`None`: any account).
    pub accounts: Option<BTreeSet<ChannelAccountId>>,
    /// Only conversations with these assignees.
    pub assignees: AssigneeScope,
}

impl ConversationScope {
    /// Every conversation.
    pub fn all() -> Self {
        ConversationScope { accounts: None, assignees: AssigneeScope::Any }
    }

    /// No conversation at all.
    pub fn nothing() -> Self {
        ConversationScope { accounts: Some(BTreeSet::new()), assignees: AssigneeScope::Any }
    }

    /// Whether the scope lets everything through.
    pub fn is_unrestricted(&self) -> bool {
        self.accounts.is_none() && self.assignees == AssigneeScope::Any
    }

    /// Whether `conversation` is in scope.
    pub fn contains(&self, conversation: &Conversation) -> bool {
        if let Some(accounts) = &self.accounts
            && !accounts.contains(&conversation.account)
        {
            return false;
        }
        match (&self.assignees, &conversation.assignee) {
            (AssigneeScope::Any, _) => true,
            (AssigneeScope::Users { unassigned, .. }, None) => *unassigned,
            (AssigneeScope::Users { users, .. }, Some(assignee)) => users.contains(assignee),
        }
    }
}
