//! [`RetentionPolicy`]: how long a tenant's conversation data is kept, per channel, and what a
//! legal hold keeps regardless.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use crate::{ChannelId, ContactId, ConversationId, TenantId, Timestamp};

use super::port::ExpiredRecord;

/// Twelve months (365 days): how long conversation history is kept unless a policy says otherwise.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// Thirty days: by when a deletion request must be carried out unless configured otherwise.
pub const DEFAULT_DELETION_WINDOW: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// One tenant's retention rules: a default period, per-channel periods, and legal holds on
/// conversations and contacts (held data is never purged by retention).
///
/// ```
/// use std::time::Duration;
/// use unibox_core::lifecycle::{RetentionPolicy, DEFAULT_RETENTION};
/// use unibox_core::{ContactId, Timestamp};
/// let day = Duration::from_secs(86_400);
/// let held = ContactId::new();
/// let policy = RetentionPolicy::default()
///     .with_channel("line".parse().unwrap(), 90 * day)
///     .hold_contact(held);
/// assert_eq!(policy.retention_for(&"line".parse().unwrap()), 90 * day);
/// assert_eq!(policy.retention_for(&"telegram".parse().unwrap()), DEFAULT_RETENTION);
/// let now = Timestamp::from_unix_seconds(400 * 86_400);
/// assert_eq!(policy.cutoff_for(&"line".parse().unwrap(), now), Timestamp::from_unix_seconds(310 * 86_400));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// How long data of channels without an override is kept.
    pub retention: Duration,
    /// Channels kept for a different period.
    pub per_channel: BTreeMap<ChannelId, Duration>,
    /// Conversations under legal hold: nothing of theirs is purged.
    pub held_conversations: BTreeSet<ConversationId>,
    /// Contacts under legal hold: none of their conversations is purged.
    pub held_contacts: BTreeSet<ContactId>,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        RetentionPolicy::keep_for(DEFAULT_RETENTION)
    }
}

impl RetentionPolicy {
    /// Keeps data for `retention`, on every channel, with no holds.
    pub fn keep_for(retention: Duration) -> Self {
        RetentionPolicy {
            retention,
            per_channel: BTreeMap::new(),
            held_conversations: BTreeSet::new(),
            held_contacts: BTreeSet::new(),
        }
    }

    /// Keeps `channel`'s data for `retention` instead of the default.
    pub fn with_channel(mut self, channel: ChannelId, retention: Duration) -> Self {
        self.per_channel.insert(channel, retention);
        self
    }

    /// Puts `conversation` under legal hold.
    pub fn hold_conversation(mut self, conversation: ConversationId) -> Self {
        self.held_conversations.insert(conversation);
        self
    }

    /// Puts every conversation of `contact` under legal hold.
    pub fn hold_contact(mut self, contact: ContactId) -> Self {
        self.held_contacts.insert(contact);
        self
    }

    /// How long `channel`'s data is kept.
    pub fn retention_for(&self, channel: &ChannelId) -> Duration {
        self.per_channel.get(channel).copied().unwrap_or(self.retention)
    }

    /// Data of `channel` from before this instant is due for purging at `now`.
    pub fn cutoff_for(&self, channel: &ChannelId, now: Timestamp) -> Timestamp {
        now.saturating_sub(self.retention_for(channel))
    }

    /// The newest cutoff of any channel: no record after it can be due, so backends list
    /// candidates before it.
    pub fn newest_cutoff(&self, now: Timestamp) -> Timestamp {
        let shortest = self.per_channel.values().copied().chain([self.retention]).min().unwrap_or(self.retention);
        now.saturating_sub(shortest)
    }

    /// The oldest cutoff of any channel: records that belong to no conversation (event log,
    /// change log, pending actions) are purged before it, so none outlives nor undercuts the
    /// longest period.
    pub fn oldest_cutoff(&self, now: Timestamp) -> Timestamp {
        let longest = self.per_channel.values().copied().chain([self.retention]).max().unwrap_or(self.retention);
        now.saturating_sub(longest)
    }

    /// Whether a legal hold keeps `record`.
    pub fn is_held(&self, record: &ExpiredRecord) -> bool {
        self.held_conversations.contains(&record.conversation) || self.held_contacts.contains(&record.contact)
    }

    /// Whether `record` is to be purged at `now`: older than its channel's cutoff and not held.
    pub fn is_due(&self, record: &ExpiredRecord, now: Timestamp) -> bool {
        record.at < self.cutoff_for(&record.channel, now) && !self.is_held(record)
    }
}

/// The retention policy of every tenant: one default and per-tenant replacements.
///
/// ```
/// use std::time::Duration;
/// use unibox_core::lifecycle::{RetentionPolicies, RetentionPolicy, DEFAULT_RETENTION};
/// let short = RetentionPolicy::keep_for(Duration::from_secs(30 * 86_400));
/// let policies = RetentionPolicies::default().with_tenant("acme".parse().unwrap(), short.clone());
/// assert_eq!(policies.for_tenant(&"acme".parse().unwrap()), &short);
/// assert_eq!(policies.for_tenant(&"globex".parse().unwrap()).retention, DEFAULT_RETENTION);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RetentionPolicies {
    /// The policy of tenants without their own.
    pub default: RetentionPolicy,
    /// Tenants with their own policy.
    pub tenants: HashMap<TenantId, RetentionPolicy>,
}

impl RetentionPolicies {
    /// Every tenant under `default`.
    pub fn new(default: RetentionPolicy) -> Self {
        RetentionPolicies { default, tenants: HashMap::new() }
    }

    /// Gives `tenant` its own policy.
    pub fn with_tenant(mut self, tenant: TenantId, policy: RetentionPolicy) -> Self {
        self.tenants.insert(tenant, policy);
        self
    }

    /// The policy `tenant` is under.
    pub fn for_tenant(&self, tenant: &TenantId) -> &RetentionPolicy {
        self.tenants.get(tenant).unwrap_or(&self.default)
    }
}
