//! The testkit's checks of channel accounts, ingest, reads and search, on PostgreSQL, one test
//! each (so a failure names its check; `tests/harness.rs` runs every check on the whole
//! `PostgresStore` bundle).
//!
//! The bundle here takes accounts, ingest, reads and tokens from PostgreSQL and the rest from
//! memory, so these checks exercise those ports alone; no check below touches the others.

use std::sync::Arc;

use unibox_core::memory::MemoryStore;
use unibox_core::privacy::DataKeys;
use unibox_core::store::Store;
use unibox_store_postgres::PostgresInbox;
use unibox_store_postgres::testing::TestDatabase;
use unibox_testkit::inbox as checks;
use unibox_vault::{Keyring, Vault};

/// A bundle whose accounts, ingest, reads and tokens are PostgreSQL's (with a vault over its
/// sealed tokens, whose data keys seal the conversation data), the rest memory's: for this test.
async fn postgres_inbox_with_memory_rest(database: &TestDatabase) -> Store {
    let inbox = Arc::new(PostgresInbox::connect(&database.app_options()).await.unwrap());
    let keyring = Keyring::new().with_key(1, [0x24; 32]);
    let vault = Arc::new(Vault::builder(inbox.clone(), Arc::new(keyring)).build());
    let keys: Arc<dyn DataKeys> = vault.clone();
    inbox.attach_keys(Arc::downgrade(&keys)).unwrap();
    let mut store: Store = MemoryStore::new().into();
    store.accounts = inbox.clone();
    store.ingest = inbox.clone();
    store.reads = inbox;
    store.tokens = vault;
    store
}

macro_rules! postgres_checks {
    ($($check:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let Some(database) = TestDatabase::create(stringify!($check)).await else { return };
                let store = postgres_inbox_with_memory_rest(&database).await;
                checks::$check(&store).await;
            }
        )*
    };
}

postgres_checks![
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
    ids_longer_than_the_limit_are_invalid_input,
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
    conversation_times_follow_the_newest_messages,
    conversations_paginate_without_duplicates_or_gaps,
    messages_paginate_newest_first,
    search_matches_every_term_case_insensitively,
    search_finds_thai_substrings,
    search_paginates_newest_first,
    search_ignores_other_tenants,
    invalid_page_sizes_are_invalid_input,
    a_changed_customer_id_keeps_the_contact_and_conversation,
];
