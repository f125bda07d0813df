//! Analytics as a projection of the change log: what each logged change tells analytics, and
//! how far a tenant's analytics have read.
//!
//! The log is appended in the same transaction as every change, so it holds every message and
//! every workflow change exactly once, in commit order. Analytics read it from a stored
//! [`Position`] and move that position in the same step as they fold what they read
//! ([`Analytics::record`](crate::analytics::Analytics::record)), so a change is counted once,
//! even across a crash, and nothing is dropped when analytics fall behind: the log waits.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::analytics::{Observation, ObservationKind};
use crate::changes::{Change, ChangeKind, InboxEvent, Position};
use crate::inbox::InboxReads;
use crate::{
    Conversation, ConversationStatus, Direction, Error, ErrorKind, Message, MessageId, Result, TenantId, Timestamp,
    UserId,
};

/// The changes of one tenant a batch of observations covers: those after `after`, through
/// `through`. Recording a batch moves the tenant's analytics from `after` to `through`.
///
/// ```
/// use unibox_core::analytics::ChangeSpan;
/// use unibox_core::changes::Position;
/// let span = ChangeSpan::new(Position::START, Position::new(42));
/// assert!(span.validate().is_ok());
/// assert!(ChangeSpan::new(Position::new(42), Position::new(42)).validate().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSpan {
    /// The position the tenant's analytics must be at.
    pub after: Position,
    /// The position of the last change the batch covers.
    pub through: Position,
}

impl ChangeSpan {
    /// The changes after `after` through `through`.
    pub fn new(after: Position, through: Position) -> Self {
        ChangeSpan { after, through }
    }

    /// Checks that the span covers at least one change.
    pub fn validate(&self) -> Result<()> {
        if self.through <= self.after {
            return Err(Error::new(ErrorKind::InvalidInput, "a change span must end after it starts"));
        }
        Ok(())
    }

    /// The error for a batch whose start is not where the tenant's analytics are: another
    /// projector recorded those changes first (or the caller skipped some).
    pub fn moved_error(&self, position: Position) -> Error {
        Error::new(
            ErrorKind::Conflict,
            format!("analytics are at change {position}, not {}: read the changes after {position} again", self.after),
        )
    }
}

/// The change a conversation update logs. Its detail says what changed, as space-separated
/// words: `status:<from>-><to>`, `assignee:<user id>` or `unassigned`, `tags`, `read`; so a
/// reader of the log (analytics, a UI) can follow the workflow without the conversation's past
/// state. Every backend logs through it.
///
/// ```
/// use unibox_core::analytics::conversation_change;
/// use unibox_core::{ConversationStatus, Timestamp};
/// # fn show(before: &unibox_core::Conversation) {
/// let mut after = before.clone();
/// after.status = ConversationStatus::Resolved;
/// after.assignee = Some("agent-7".parse().unwrap());
/// let change = conversation_change(&before.tenant, before, &after, Timestamp::from_unix_seconds(60));
/// assert_eq!(change.detail.as_deref(), Some("assignee:agent-7 status:open->resolved"));
/// # }
/// ```
pub fn conversation_change(tenant: &TenantId, before: &Conversation, after: &Conversation, at: Timestamp) -> Change {
    let mut words = Vec::new();
    if before.assignee != after.assignee {
        words.push(match &after.assignee {
            Some(user) => format!("assignee:{user}"),
            None => "unassigned".to_string(),
        });
    }
    if before.status != after.status {
        words.push(format!("status:{}->{}", before.status, after.status));
    }
    if before.tags != after.tags {
        words.push("tags".to_string());
    }
    if before.unread_count != after.unread_count && after.unread_count == 0 {
        words.push("read".to_string());
    }
    let change = Change::new(tenant.clone(), at, ChangeKind::ConversationChanged).conversation(after.id);
    if words.is_empty() { change } else { change.detail(words.join(" ")) }
}

/// What a conversation change's detail tells analytics, in order: the assignee first, then
/// the status.
fn workflow_facts(detail: &str) -> Vec<ObservationKind> {
    let mut facts = Vec::new();
    for word in detail.split(' ') {
        if word == "unassigned" {
            facts.push(ObservationKind::Assigned { agent: None });
        } else if let Some(user) = word.strip_prefix("assignee:") {
            if let Ok(user) = UserId::new(user) {
                facts.push(ObservationKind::Assigned { agent: Some(user) });
            }
        } else if let Some((from, to)) = word.strip_prefix("status:").and_then(|s| s.split_once("->")) {
            let resolved = ConversationStatus::Resolved.as_str();
            if to == resolved && from != resolved {
                facts.push(ObservationKind::Resolved);
            } else if from == resolved && to != resolved {
                facts.push(ObservationKind::Reopened);
            }
        }
    }
    facts
}

/// What analytics learn from a page of one tenant's logged changes, in order, reading the
/// messages and conversations the changes name: a stored message (received, echoed or recorded
/// for sending) is a message in or out at its time; a conversation change names assignments,
/// resolutions and reopenings, at the change's time. Other changes teach nothing, and neither
/// does a message or conversation erased since. The page's messages are read in one
/// [`InboxReads::messages_by_id`](crate::inbox::InboxReads::messages_by_id).
///
/// ```
/// # async fn show(reads: &dyn unibox_core::inbox::InboxReads, page: &[unibox_core::changes::InboxEvent]) -> unibox_core::Result<()> {
/// let observations = unibox_core::analytics::observations_of(reads, page).await?;
/// # let _ = observations; Ok(()) }
/// ```
pub async fn observations_of(reads: &dyn InboxReads, page: &[InboxEvent]) -> Result<Vec<Observation>> {
    let Some(first) = page.first() else { return Ok(Vec::new()) };
    let tenant = &first.change.tenant;
    if page.iter().any(|event| &event.change.tenant != tenant) {
        return Err(Error::new(ErrorKind::InvalidInput, "a page of changes is one tenant's"));
    }
    let added: Vec<MessageId> = page
        .iter()
        .filter(|event| event.change.kind == ChangeKind::MessageAdded)
        .filter_map(|event| event.change.message)
        .collect();
    let messages: HashMap<MessageId, Message> = if added.is_empty() {
        HashMap::new()
    } else {
        reads.messages_by_id(tenant, &added).await?.into_iter().map(|message| (message.id, message)).collect()
    };
    let mut observations = Vec::with_capacity(page.len());
    for event in page {
        let change = &event.change;
        match change.kind {
            ChangeKind::MessageAdded => {
                let Some(message) = change.message.and_then(|id| messages.get(&id)) else { continue };
                observations.push(match message.direction {
                    Direction::Inbound => Observation {
                        conversation: message.conversation,
                        account: message.account,
                        at: message.sent_at,
                        kind: ObservationKind::MessageIn,
                    },
                    Direction::Outbound => Observation::of_outbound(message),
                });
            }
            ChangeKind::ConversationChanged => {
                let (Some(id), Some(detail)) = (change.conversation, change.detail.as_deref()) else { continue };
                let facts = workflow_facts(detail);
                if facts.is_empty() {
                    continue;
                }
                let conversation = match reads.conversation(tenant, id).await {
                    Ok(conversation) => conversation,
                    Err(error) if error.kind() == ErrorKind::NotFound => continue,
                    Err(error) => return Err(error),
                };
                observations.extend(facts.into_iter().map(|kind| Observation {
                    conversation: id,
                    account: conversation.account,
                    at: change.at,
                    kind,
                }));
            }
            _ => {}
        }
    }
    Ok(observations)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversation_details_name_assignments_resolutions_and_reopenings() {
        let bob: UserId = "bob".parse().unwrap();
        assert_eq!(workflow_facts("assignee:bob"), vec![ObservationKind::Assigned { agent: Some(bob.clone()) }]);
        assert_eq!(workflow_facts("unassigned"), vec![ObservationKind::Assigned { agent: None }]);
        assert_eq!(
            workflow_facts("assignee:bob status:open->resolved"),
            vec![ObservationKind::Assigned { agent: Some(bob) }, ObservationKind::Resolved]
        );
        assert_eq!(workflow_facts("status:resolved->pending"), vec![ObservationKind::Reopened]);
        assert!(workflow_facts("status:open->snoozed tags read").is_empty());
        assert!(workflow_facts("contact_merged").is_empty());
    }
}
