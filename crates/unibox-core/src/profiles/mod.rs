//! Contact profiles from the platforms: a background [`ProfileWorker`] that follows the hub's
//! change log and, when a contact writes, fetches their display name and picture through
//! [`Channel::contact_profile`](crate::Channel::contact_profile) if the stored ones are missing
//! or older than a TTL. Ingest never waits for it: webhooks are acknowledged once stored, and the
//! profile arrives a moment later.
//!
//! What the platform said is kept in the contact's attributes ([`NAME_ATTRIBUTE`],
//! [`PICTURE_ATTRIBUTE`], [`FETCHED_AT_ATTRIBUTE`], [`STATUS_ATTRIBUTE`]) through the contact
//! update path ([`TeamWorkflow::update_contact`](crate::inbox::TeamWorkflow::update_contact)). The contact's display
//! name takes the platform's name only while nobody on the team chose another one.

mod options;
mod worker;

pub use options::ProfileOptions;
pub use worker::{ProfileOutcome, ProfileWorker, ProfileWorkerHandle, WORKER_NAME};

/// The contact attribute holding the display name the platform reported.
pub const NAME_ATTRIBUTE: &str = "platform.name";
/// The contact attribute holding the platform's picture URL.
pub const PICTURE_ATTRIBUTE: &str = "platform.picture_url";
/// The contact attribute holding when the profile was last asked for (Unix milliseconds).
pub const FETCHED_AT_ATTRIBUTE: &str = "platform.profile_fetched_at";
/// The contact attribute saying `unavailable` when the platform would not describe the contact
/// (they blocked the bot or left); absent otherwise.
pub const STATUS_ATTRIBUTE: &str = "platform.profile_status";

/// The contact attribute saying `false` when the platform refused to deliver to the contact for
/// good (they blocked the bot or unfollowed the account); absent when nothing is known against it.
pub const REACHABLE_ATTRIBUTE: &str = "platform.reachable";
/// The contact attribute holding when the contact became unreachable (Unix milliseconds).
pub const UNREACHABLE_SINCE_ATTRIBUTE: &str = "platform.unreachable_since";
/// The contact attribute holding why the contact became unreachable, as the platform said it.
pub const UNREACHABLE_REASON_ATTRIBUTE: &str = "platform.unreachable_reason";

/// The longest unreachable reason kept, in bytes.
const MAX_REASON_BYTES: usize = 256;

/// Whether messages can reach a contact, as the hub last learned it from the platform.
///
/// ```
/// use std::collections::BTreeMap;
/// use unibox_core::profiles::{Reachability, REACHABLE_ATTRIBUTE, UNREACHABLE_REASON_ATTRIBUTE};
///
/// let mut attributes = BTreeMap::new();
/// assert_eq!(Reachability::from_attributes(&attributes), Reachability::Reachable);
/// attributes.insert(REACHABLE_ATTRIBUTE.to_string(), "false".to_string());
/// attributes.insert(UNREACHABLE_REASON_ATTRIBUTE.to_string(), "blocked".to_string());
/// assert!(Reachability::from_attributes(&attributes).is_unreachable());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reachability {
    /// Nothing says the contact cannot be reached.
    Reachable,
    /// The platform refused to deliver to the contact for good.
    Unreachable {
        /// When it was learned, if recorded.
        since: Option<crate::Timestamp>,
        /// The platform's reason, if recorded.
        reason: Option<String>,
    },
}

impl Reachability {
    /// Reads the reachability from a contact's attributes (see [`REACHABLE_ATTRIBUTE`]).
    pub fn from_attributes(attributes: &std::collections::BTreeMap<String, String>) -> Self {
        if attributes.get(REACHABLE_ATTRIBUTE).map(String::as_str) != Some("false") {
            return Self::Reachable;
        }
        let since = attributes
            .get(UNREACHABLE_SINCE_ATTRIBUTE)
            .and_then(|millis| millis.parse::<i64>().ok())
            .map(crate::Timestamp::from_unix_millis);
        let reason = attributes.get(UNREACHABLE_REASON_ATTRIBUTE).cloned();
        Self::Unreachable { since, reason }
    }

    /// Whether the platform refused to deliver to the contact for good.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, Self::Unreachable { .. })
    }
}

/// The contact update recording that the contact became unreachable at `now` for `reason`.
pub(crate) fn unreachable_update(now: crate::Timestamp, reason: &str) -> crate::workflow::ContactUpdate {
    let mut end = reason.len().min(MAX_REASON_BYTES);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    crate::workflow::ContactUpdate::new()
        .attribute(REACHABLE_ATTRIBUTE, "false")
        .attribute(UNREACHABLE_SINCE_ATTRIBUTE, now.as_unix_millis().to_string())
        .attribute(UNREACHABLE_REASON_ATTRIBUTE, &reason[..end])
}

/// The contact update clearing an unreachable mark (the contact followed back or unblocked).
pub(crate) fn reachable_update() -> crate::workflow::ContactUpdate {
    crate::workflow::ContactUpdate::new()
        .remove_attribute(REACHABLE_ATTRIBUTE)
        .remove_attribute(UNREACHABLE_SINCE_ATTRIBUTE)
        .remove_attribute(UNREACHABLE_REASON_ATTRIBUTE)
}
