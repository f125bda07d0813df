//! The [`Inbox`] conformance suite.
//!
//! Every check is a `pub async fn` taking the inbox under test, in the style of object_store's
//! integration suite; the property checks take an [`InboxFactory`] because each generated case
//! needs an empty inbox. [`run_all`] runs every check, each on a fresh inbox, and panics with
//! the names and messages of the checks that failed.
//!
//! A backend's test file is usually a few lines:
//!
//! ```
//! use std::sync::Arc;
//! use unibox_core::Inbox;
//! use unibox_core::memory::MemoryInbox;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! // #[tokio::test] async fn memory_inbox_conforms() {
//! unibox_testkit::inbox::run_all(&|| async { Arc::new(MemoryInbox::new()) as Arc<dyn Inbox> }).await;
//! // }
//! # });
//! ```
//!
//! What the checks expect beyond the trait's documentation, so that every backend behaves
//! the same:
//!
//! - A message echo (an outbound [`InboundMessage`](unibox_core::InboundMessage)) is authored
//!   by [`Author::System`](unibox_core::Author::System) and starts as
//!   [`DeliveryStatus::Sent`](unibox_core::DeliveryStatus::Sent); inbound messages are
//!   [`DeliveryStatus::Received`](unibox_core::DeliveryStatus::Received) and delivery receipts
//!   never change them.
//! - A contact's and a conversation's `created_at` is the earliest message time seen for them,
//!   so it does not depend on the order events arrive in.
//! - An unsent message's content is [`Content::text("")`](unibox_core::Content::text); its
//!   `unsent_at` is the earliest unsend time. `edited_at` is the time of the latest edit, even
//!   when the message was also unsent.
//! - Reactions are listed one per customer, oldest first (ties by customer id).
//! - [`Page::next`](unibox_core::inbox::Page::next) is `None` exactly when no item follows.
//! - [`Inbox::contact_by_identity`] with an identity on another tenant's account is `Ok(None)`.

/// `assert_eq!` whose default message names the compared expressions, so a failure reported by
/// [`run_all`] (which has no source location) says what differed.
macro_rules! check_eq {
    ($left:expr, $right:expr $(,)?) => {
        assert_eq!($left, $right, "{} == {}", stringify!($left), stringify!($right))
    };
    ($left:expr, $right:expr, $($message:tt)+) => {
        assert_eq!($left, $right, $($message)+)
    };
}

/// `assert!` whose default message names the condition.
macro_rules! check {
    ($condition:expr $(,)?) => {
        assert!($condition, "{}", stringify!($condition))
    };
    ($condition:expr, $($message:tt)+) => {
        assert!($condition, $($message)+)
    };
}

mod accept;
mod accounts;
mod analytics;
mod canned;
mod contacts;
mod ingest;
mod listing;
mod outbound;
mod outbox;
mod properties;
mod read_markers;
mod roster;
pub(crate) mod support;
mod tenancy;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use unibox_core::Inbox;

pub use accept::*;
pub use accounts::*;
pub use analytics::*;
pub use canned::*;
pub use contacts::*;
pub use ingest::*;
pub use listing::*;
pub use outbound::*;
pub use outbox::*;
pub use properties::*;
pub use read_markers::*;
pub use roster::*;
pub use tenancy::*;

/// A boxed, sendable future, as [`InboxFactory::fresh`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Makes empty inboxes of the backend under test, one per check (and one per generated case of
/// the property checks).
///
/// Any `Fn() -> impl Future<Output = Arc<dyn Inbox>>` closure is a factory:
///
/// ```
/// use std::sync::Arc;
/// use unibox_core::Inbox;
/// use unibox_core::memory::MemoryInbox;
/// use unibox_testkit::inbox::InboxFactory;
///
/// fn takes_factory(_: &dyn InboxFactory) {}
/// takes_factory(&|| async { Arc::new(MemoryInbox::new()) as Arc<dyn Inbox> });
/// ```
pub trait InboxFactory: Send + Sync {
    /// A new, empty inbox. Panics (failing the test) when the backend cannot be opened.
    fn fresh(&self) -> BoxFuture<'_, Arc<dyn Inbox>>;
}

impl<F, Fut> InboxFactory for F
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Arc<dyn Inbox>> + Send + 'static,
{
    fn fresh(&self) -> BoxFuture<'_, Arc<dyn Inbox>> {
        Box::pin(self())
    }
}

type Check = for<'a> fn(&'a dyn Inbox) -> BoxFuture<'a, ()>;
type FactoryCheck = for<'a> fn(&'a dyn InboxFactory) -> BoxFuture<'a, ()>;

macro_rules! checks {
    ($($name:ident),* $(,)?) => {
        &[$((stringify!($name), |inbox| Box::pin($name(inbox)))),*]
    };
}

/// The checks that take one inbox, by name.
const CHECKS: &[(&str, Check)] = checks![
    accounts_are_routed_by_channel_and_platform_id,
    saving_an_account_twice_replaces_it,
    account_with_a_taken_platform_id_is_a_conflict,
    accounts_are_listed_per_tenant,
    authorization_revoked_requires_reauthorization,
    first_message_creates_contact_and_conversation,
    messages_of_one_customer_share_a_conversation,
    customers_on_different_accounts_get_different_conversations,
    redelivered_event_is_stored_once,
    accepted_events_are_visible_to_the_next_read,
    accepted_redeliveries_are_stored_once,
    accept_refuses_what_ingest_refuses_and_stores_nothing,
    same_platform_message_under_a_new_event_id_is_stored_once,
    duplicate_event_within_one_batch_is_stored_once,
    batch_with_an_unknown_account_stores_nothing,
    events_with_empty_ids_are_invalid_input,
    edit_replaces_content_and_latest_edit_wins,
    edit_before_the_message_is_applied_on_arrival,
    unsend_erases_content_for_good,
    unsend_before_the_message_is_applied_on_arrival,
    reactions_keep_the_latest_per_customer,
    reaction_before_the_message_is_applied_on_arrival,
    receipt_before_the_echo_is_applied_on_arrival,
    delivery_status_never_goes_backwards,
    receipts_do_not_change_inbound_messages,
    postback_becomes_an_inbound_message,
    other_events_are_accepted_and_deduplicated,
    resolved_conversation_reopens_on_inbound,
    snoozed_conversation_reopens_on_inbound,
    echo_does_not_reopen_or_count_as_unread,
    conversation_times_follow_the_newest_messages,
    conversation_update_sets_workflow_fields,
    conversation_update_rejects_invalid_input,
    conversations_filter_by_status_account_assignee_tag_and_unread,
    conversations_paginate_without_duplicates_or_gaps,
    messages_paginate_newest_first,
    search_matches_every_term_case_insensitively,
    search_finds_thai_substrings,
    search_paginates_newest_first,
    search_ignores_other_tenants,
    invalid_page_sizes_are_invalid_input,
    record_outbound_is_queued,
    update_delivery_sets_the_platform_id_and_later_receipts_apply,
    receipts_before_update_delivery_apply_when_the_platform_id_is_set,
    echo_before_update_delivery_is_folded_into_the_recorded_message,
    update_delivery_rejects_inbound_and_conflicting_platform_ids,
    record_outbound_into_unknown_conversation_is_not_found,
    notes_are_listed_oldest_first,
    note_on_another_tenants_conversation_is_not_found,
    other_tenants_ids_are_not_found,
    other_tenants_data_is_never_listed,
    read_markers_count_unread_per_agent,
    read_markers_of_unknown_conversations_are_not_found,
    open_assignments_count_open_and_pending_per_assignee,
    conversations_filter_by_contact,
    canned_replies_are_saved_replaced_listed_and_deleted,
    contact_update_sets_name_and_attributes_and_the_name_sticks,
    merging_contacts_moves_identities_conversations_and_messages,
    merging_contacts_refuses_self_same_account_and_foreign_contacts,
    a_changed_customer_id_keeps_the_contact_and_conversation,
    workflow_changes_are_in_the_change_log,
    enqueue_records_the_message_and_its_job,
    claims_lease_due_jobs_to_one_claimer,
    an_accepted_attempt_marks_the_message_sent,
    retries_requeue_and_failures_keep_the_reason,
    only_the_lease_holder_attempts_a_job,
    an_interrupted_attempt_is_claimed_again_in_flight,
    outbox_jobs_are_tenant_scoped,
    unknown_sends_are_resolved_by_a_person,
    an_accounts_queued_jobs_end_failed_at_once,
    changes_are_logged_in_order_and_resumable,
    trimmed_changes_are_reported_to_late_readers,
];

/// The checks that need many fresh inboxes, by name.
const FACTORY_CHECKS: &[(&str, FactoryCheck)] =
    checks![ingest_is_idempotent_under_redelivery_and_reordering, tenants_see_only_their_own_data,];

/// The names of every check [`run_all`] runs, in order.
///
/// ```
/// let names = unibox_testkit::inbox::check_names();
/// assert!(names.contains(&"redelivered_event_is_stored_once"));
/// ```
pub fn check_names() -> Vec<&'static str> {
    CHECKS.iter().map(|(name, _)| *name).chain(FACTORY_CHECKS.iter().map(|(name, _)| *name)).collect()
}

/// Runs every check of the suite, each on a fresh inbox from `factory`.
///
/// All checks run even when one fails; at the end it panics with the name and message of every
/// failed check. Property checks run 64 cases each unless `PROPTEST_CASES` says otherwise.
///
/// ```
/// use std::sync::Arc;
/// use unibox_core::Inbox;
/// use unibox_core::memory::MemoryInbox;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// unibox_testkit::inbox::run_all(&|| async { Arc::new(MemoryInbox::new()) as Arc<dyn Inbox> }).await;
/// # });
/// ```
pub async fn run_all(factory: &dyn InboxFactory) {
    let mut failures = Vec::new();
    for (name, check) in CHECKS {
        let inbox = factory.fresh().await;
        if let Err(message) = support::catch_panic(check(inbox.as_ref())).await {
            failures.push(format!("{name}: {message}"));
        }
    }
    for (name, check) in FACTORY_CHECKS {
        if let Err(message) = support::catch_panic(check(factory)).await {
            // Property checks name themselves already.
            failures.push(if message.starts_with(name) { message } else { format!("{name}: {message}") });
        }
    }
    if !failures.is_empty() {
        panic!(
            "inbox conformance: {} of {} checks failed:\n- {}",
            failures.len(),
            CHECKS.len() + FACTORY_CHECKS.len(),
            failures.join("\n- ")
        );
    }
}
