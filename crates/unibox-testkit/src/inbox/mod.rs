//! The inbox conformance checks: every rule of the inbox ports ([`unibox_core::inbox`]) and of
//! the ingest rules ([`unibox_core::ingest`]), stated as a check.
//!
//! Every check is a `pub async fn` taking the [`Store`] bundle under test, in the style of
//! object_store's integration suite; the property checks take a [`StoreFactory`] because each
//! generated case needs an empty store. [`run_all`] runs every check that applies to the
//! store's [`StoreCapabilities`](unibox_core::store::StoreCapabilities), each on a fresh
//! store; [`crate::harness::run`] runs it together with every other store suite.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use unibox_core::memory::MemoryStore;
//! unibox_testkit::inbox::run_all(&|| async { MemoryStore::new().into() }).await;
//! # });
//! ```
//!
//! What the checks expect beyond the ports' documentation, so that every backend behaves
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
//! - [`InboxReads::contact_by_identity`](unibox_core::inbox::InboxReads::contact_by_identity)
//!   with an identity on another tenant's account is `Ok(None)`.

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

use unibox_core::store::Store;

pub use crate::harness::{BoxFuture, StoreFactory};

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

type Check = for<'a> fn(&'a Store) -> BoxFuture<'a, ()>;
type FactoryCheck = for<'a> fn(&'a dyn StoreFactory) -> BoxFuture<'a, ()>;

/// The part of a store a check needs beyond the inbox ports; it runs only when
/// [`StoreCapabilities`](unibox_core::store::StoreCapabilities) says the store has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Needs {
    /// Only the inbox ports.
    Inbox,
    /// The outbox ([`StoreCapabilities::outbox`](unibox_core::store::StoreCapabilities::outbox)).
    Outbox,
    /// The change log ([`StoreCapabilities::change_log`](unibox_core::store::StoreCapabilities::change_log)).
    ChangeLog,
}

impl Needs {
    pub(crate) fn met_by(self, store: &Store) -> bool {
        match self {
            Needs::Inbox => true,
            Needs::Outbox => store.capabilities.outbox,
            Needs::ChangeLog => store.capabilities.change_log,
        }
    }
}

macro_rules! checks {
    ($($needs:ident: $name:ident),* $(,)?) => {
        &[$((stringify!($name), Needs::$needs, |store| Box::pin($name(store)))),*]
    };
}

macro_rules! factory_checks {
    ($($name:ident),* $(,)?) => {
        &[$((stringify!($name), |factory| Box::pin($name(factory)))),*]
    };
}

/// The checks that take one inbox, by name.
const CHECKS: &[(&str, Needs, Check)] = checks![
    Inbox: accounts_are_routed_by_channel_and_platform_id,
    Inbox: saving_an_account_twice_replaces_it,
    Inbox: account_with_a_taken_platform_id_is_a_conflict,
    Inbox: accounts_are_listed_per_tenant,
    Inbox: authorization_revoked_requires_reauthorization,
    Inbox: first_message_creates_contact_and_conversation,
    Inbox: messages_of_one_customer_share_a_conversation,
    Inbox: customers_on_different_accounts_get_different_conversations,
    Inbox: redelivered_event_is_stored_once,
    Inbox: accepted_events_are_visible_to_the_next_read,
    Inbox: accepted_redeliveries_are_stored_once,
    Inbox: accept_refuses_what_ingest_refuses_and_stores_nothing,
    Inbox: same_platform_message_under_a_new_event_id_is_stored_once,
    Inbox: duplicate_event_within_one_batch_is_stored_once,
    Inbox: batch_with_an_unknown_account_stores_nothing,
    Inbox: events_with_empty_ids_are_invalid_input,
    Inbox: ids_longer_than_the_limit_are_invalid_input,
    Inbox: edit_replaces_content_and_latest_edit_wins,
    Inbox: edit_before_the_message_is_applied_on_arrival,
    Inbox: unsend_erases_content_for_good,
    Inbox: unsend_before_the_message_is_applied_on_arrival,
    Inbox: reactions_keep_the_latest_per_customer,
    Inbox: reaction_before_the_message_is_applied_on_arrival,
    Inbox: receipt_before_the_echo_is_applied_on_arrival,
    Inbox: delivery_status_never_goes_backwards,
    Inbox: receipts_do_not_change_inbound_messages,
    Inbox: postback_becomes_an_inbound_message,
    Inbox: other_events_are_accepted_and_deduplicated,
    Inbox: resolved_conversation_reopens_on_inbound,
    Inbox: snoozed_conversation_reopens_on_inbound,
    Inbox: echo_does_not_reopen_or_count_as_unread,
    Inbox: conversation_times_follow_the_newest_messages,
    Inbox: conversation_update_sets_workflow_fields,
    Inbox: conversation_update_rejects_invalid_input,
    Inbox: conversations_filter_by_status_account_assignee_tag_and_unread,
    Inbox: conversations_paginate_without_duplicates_or_gaps,
    Inbox: messages_paginate_newest_first,
    Inbox: search_matches_every_term_case_insensitively,
    Inbox: search_finds_thai_substrings,
    Inbox: search_paginates_newest_first,
    Inbox: search_ignores_other_tenants,
    Inbox: invalid_page_sizes_are_invalid_input,
    Inbox: record_outbound_is_queued,
    Inbox: update_delivery_sets_the_platform_id_and_later_receipts_apply,
    Inbox: receipts_before_update_delivery_apply_when_the_platform_id_is_set,
    Inbox: echo_before_update_delivery_is_folded_into_the_recorded_message,
    Inbox: update_delivery_rejects_inbound_and_conflicting_platform_ids,
    Inbox: record_outbound_into_unknown_conversation_is_not_found,
    Inbox: notes_are_listed_oldest_first,
    Inbox: note_on_another_tenants_conversation_is_not_found,
    Inbox: other_tenants_ids_are_not_found,
    Inbox: other_tenants_data_is_never_listed,
    Inbox: read_markers_count_unread_per_agent,
    Inbox: read_markers_of_unknown_conversations_are_not_found,
    Inbox: open_assignments_count_open_and_pending_per_assignee,
    Inbox: conversations_filter_by_contact,
    Inbox: canned_replies_are_saved_replaced_listed_and_deleted,
    Inbox: contact_update_sets_name_and_attributes_and_the_name_sticks,
    Inbox: one_attribute_of_many_contacts_is_read_at_once,
    Inbox: merging_contacts_moves_identities_conversations_and_messages,
    Inbox: merging_contacts_refuses_self_same_account_and_foreign_contacts,
    Inbox: a_changed_customer_id_keeps_the_contact_and_conversation,
    ChangeLog: workflow_changes_are_in_the_change_log,
    Outbox: enqueue_records_the_message_and_its_job,
    Outbox: claims_lease_due_jobs_to_one_claimer,
    Outbox: an_accepted_attempt_marks_the_message_sent,
    Outbox: retries_requeue_and_failures_keep_the_reason,
    Outbox: only_the_lease_holder_attempts_a_job,
    Outbox: an_interrupted_attempt_is_claimed_again_in_flight,
    Outbox: outbox_jobs_are_tenant_scoped,
    Outbox: unknown_sends_are_resolved_by_a_person,
    Outbox: an_accounts_queued_jobs_end_failed_at_once,
    ChangeLog: changes_are_logged_in_order_and_resumable,
    ChangeLog: trimmed_changes_are_reported_to_late_readers,
];

/// The checks that need many fresh inboxes, by name.
const FACTORY_CHECKS: &[(&str, FactoryCheck)] =
    factory_checks![ingest_is_idempotent_under_redelivery_and_reordering, tenants_see_only_their_own_data,];

/// The names of every check [`run_all`] runs, in order.
///
/// ```
/// let names = unibox_testkit::inbox::check_names();
/// assert!(names.contains(&"redelivered_event_is_stored_once"));
/// ```
pub fn check_names() -> Vec<&'static str> {
    CHECKS.iter().map(|(name, _, _)| *name).chain(FACTORY_CHECKS.iter().map(|(name, _)| *name)).collect()
}

/// Runs every check that applies to the store (by its capabilities), each on a fresh store
/// from `factory`, and returns the failures as "name: message" lines; a check whose part the
/// store lacks is not run.
pub(crate) async fn failures(factory: &dyn StoreFactory) -> Vec<String> {
    let mut failures = Vec::new();
    for (name, needs, check) in CHECKS {
        let store = factory.fresh().await;
        if !needs.met_by(&store) {
            continue;
        }
        if let Err(message) = support::catch_panic(check(&store)).await {
            failures.push(format!("{name}: {message}"));
        }
    }
    for (name, check) in FACTORY_CHECKS {
        if let Err(message) = support::catch_panic(check(factory)).await {
            // Property checks name themselves already.
            failures.push(if message.starts_with(name) { message } else { format!("{name}: {message}") });
        }
    }
    failures
}

/// Runs every check of the suite that applies to the store, each on a fresh store from
/// `factory`.
///
/// All checks run even when one fails; at the end it panics with the name and message of every
/// failed check. Property checks run 64 cases each unless `PROPTEST_CASES` says otherwise.
///
/// ```
/// use unibox_core::memory::MemoryStore;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// unibox_testkit::inbox::run_all(&|| async { MemoryStore::new().into() }).await;
/// # });
/// ```
pub async fn run_all(factory: &dyn StoreFactory) {
    let failures = failures(factory).await;
    if !failures.is_empty() {
        panic!(
            "inbox conformance: {} of {} checks failed:\n- {}",
            failures.len(),
            CHECKS.len() + FACTORY_CHECKS.len(),
            failures.join("\n- ")
        );
    }
}
