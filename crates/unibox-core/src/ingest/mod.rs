//! The ingest rules: how a routed event becomes stored state, written once for every backend.
//!
//! A backend's [`EventIngest`](crate::inbox::EventIngest) runs three steps per event, and only
//! the last is its own:
//!
//! 1. [`validate`]: the event id, and every customer and platform message id it carries, is 1 to
//!    [`MAX_ID_LEN`] bytes; an invalid event fails the whole call, before anything is written.
//! 2. [`plan`]: what the event asks for, as an [`IngestPlan`]: store a message (a postback is an
//!    inbound message under [`postback_message_id`]), amend messages by platform id, mark the
//!    account for reauthorization, move a customer identity, or keep the event in the log.
//!    [`prepare`] does both and encodes the plan's values in their stored forms (a
//!    [`PreparedEvent`]), so a backend's write is storage work only.
//! 3. Execute the plan against the backend's storage, under these rules:
//!    - An event id already stored for the account is a duplicate; so is a message whose
//!      platform message id the account already has. Duplicates change nothing.
//!    - A message finds or creates the contact by identity and the conversation of that contact
//!      on that account; an inbound message reopens a resolved or snoozed conversation, counts
//!      as unread and moves `last_inbound_at`; `last_activity_at` is the newest message time.
//!    - An [`Amendment`] applies to the message with that platform id; if it is not stored yet
//!      it is kept and applied when it arrives. Amendments merge by [`Amendment`]'s ordering
//!      rules ([`supersedes`], [`earliest`], [`DeliveryStatus::merge`](crate::DeliveryStatus::merge)),
//!      so arriving before or after the message, in any order, gives the same message.
//!
//! `unibox_testkit::inbox` states each rule as a check (`edit_before_the_message_is_applied_on_arrival`,
//! `ids_longer_than_the_limit_are_invalid_input`, ...), and the property check
//! `ingest_is_idempotent_under_redelivery_and_reordering` delivers generated event sets in
//! every order.

mod amendment;
mod pending;
mod plan;
mod prepared;
mod validate;

pub use amendment::{Amendment, earliest, supersedes};
pub use pending::{AmendedMessage, EditEffect, Pending, PendingChange, arrival, edit_search_text, wins};
pub use plan::{IngestPlan, NewMessage, plan, postback_message_id};
pub use prepared::{
    NewIds, PreparedAction, PreparedEvent, PreparedMessage, identity_kind_key, prepare, search_text,
    validate_for_storage,
};
pub use validate::{MAX_ID_LEN, truncated, validate};
