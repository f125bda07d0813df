//! Whether a contact can be reached, learned from what the platforms say: a permanent
//! `RecipientUnavailable` on a send or an unfollow marks the contact unreachable, and a follow
//! (an unblock: Telegram's `my_chat_member`, LINE's follow) clears the mark (see
//! [`Reachability`](crate::profiles::Reachability)).
//!
//! Only follows and unfollows are looked at on the webhook path: they are rare, while reading
//! the contact for every inbound message would put a read (waiting for the journal to apply) in
//! front of every acknowledgement.

use crate::EventKind;
use crate::hub::Hub;
use crate::inbox::{Acceptance, RoutedEvent};
use crate::profiles::{REACHABLE_ATTRIBUTE, reachable_update, unreachable_update};
use crate::{ChannelAccountId, ContactIdentity, IdentityKind, TenantId, Timestamp};

/// What an accepted event says about its contact's reachability.
pub(super) struct ReachabilityChange {
    tenant: TenantId,
    identity: ContactIdentity,
    at: Timestamp,
    /// `true` when the contact followed (or unblocked); `false` when they unfollowed or blocked.
    reachable: bool,
}

impl ReachabilityChange {
    /// The change `event` makes, if it makes one.
    pub(super) fn of(event: &RoutedEvent) -> Option<Self> {
        let (customer, reachable) = match &event.event.kind {
            EventKind::Follow { customer } => (customer, true),
            EventKind::Unfollow { customer } => (customer, false),
            _ => return None,
        };
        Some(Self {
            tenant: event.tenant.clone(),
            identity: identity(event.account, customer.kind.clone(), &customer.id),
            at: event.received_at,
            reachable,
        })
    }
}

fn identity(account: ChannelAccountId, kind: IdentityKind, value: &str) -> ContactIdentity {
    ContactIdentity { account, kind, value: value.to_string() }
}

impl Hub {
    /// Applies the reachability changes of the events the store accepted (duplicates change
    /// nothing). Best effort: the events are already durable, so a failure is logged.
    /// `changes` pairs each change with the index of its event in `outcomes`.
    pub(super) async fn apply_reachability(&self, changes: Vec<(usize, ReachabilityChange)>, outcomes: &[Acceptance]) {
        for (index, change) in changes {
            if !matches!(outcomes.get(index), Some(Acceptance::Accepted)) {
                continue;
            }
            if let Err(error) = self.apply_reachability_change(&change).await {
                tracing::warn!(target: "unibox::reachability", %error, "could not record the contact's reachability");
            }
        }
    }

    async fn apply_reachability_change(&self, change: &ReachabilityChange) -> crate::Result<()> {
        let store = &self.inner.store;
        let Some(contact) = store.reads.contact_by_identity(&change.tenant, &change.identity).await? else {
            return Ok(());
        };
        if change.reachable {
            // Most followers were never marked: read the one attribute before writing anything.
            let marked = store.workflow.contacts_attribute(&change.tenant, &[contact.id], REACHABLE_ATTRIBUTE).await?;
            if marked.is_empty() {
                return Ok(());
            }
            store.workflow.update_contact(&change.tenant, contact.id, &reachable_update()).await?;
        } else {
            let update = unreachable_update(change.at, "the customer unfollowed or blocked the account");
            store.workflow.update_contact(&change.tenant, contact.id, &update).await?;
        }
        Ok(())
    }
}
