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
