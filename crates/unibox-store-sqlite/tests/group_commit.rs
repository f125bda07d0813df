//! Group commit: concurrent writes share transactions, yet each call commits or fails alone.

use std::collections::HashSet;
use std::sync::Arc;

use unibox_core::inbox::prelude::*;
use unibox_core::inbox::{ConversationQuery, IngestOutcome, MAX_PAGE_SIZE, SearchQuery};
use unibox_core::{ChannelAccountId, ErrorKind, IdentityKind, PlatformUser};
use unibox_store_sqlite::{SqliteInbox, SqliteOptions};
use unibox_testkit::fixtures::{self, AccountEvents, at};

const TASKS: u32 = 64;
const CALLS_PER_TASK: u32 = 25;

fn buyer(task: u32) -> PlatformUser {
    fixtures::customer(IdentityKind::MarketplaceBuyerId, task)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_ingest_from_many_tasks_all_commit_and_are_visible() {
    let dir = tempfile::tempdir().unwrap();
    // A small batch limit makes the writer cut the queue into several group commits.
    let options = SqliteOptions::new().max_batch(16).queue_capacity(32);
    let inbox = Arc::new(SqliteInbox::open_with(dir.path().join("inbox.db"), options).await.unwrap());
    let tenant = fixtures::tenant("acme");
    let account = fixtures::shopee_account(&tenant);
    inbox.save_account(&account).await.unwrap();
    let events = AccountEvents::new(&account);

    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let inbox = Arc::clone(&inbox);
        let events = events.clone();
        tasks.push(tokio::spawn(async move {
            let mut stored = Vec::new();
            for call in 0..CALLS_PER_TASK {
                let n = task * CALLS_PER_TASK + call;
                let text = format!("Order 2411{n:06} paid, please ship to Bangkok");
                let event = events.text(&format!("evt-{n}"), &buyer(task), &format!("msg-{n}"), &text, at(n.into()));
                let outcomes = inbox.ingest(vec![event]).await.unwrap();
                match outcomes.as_slice() {
                    [IngestOutcome::Stored { message: Some(id), .. }] => stored.push(*id),
                    other => panic!("a new message must be stored, got {other:?}"),
                }
            }
            stored
        }));
    }
    let mut ids = HashSet::new();
    for task in tasks {
        ids.extend(task.await.unwrap());
    }
    let total = (TASKS * CALLS_PER_TASK) as usize;
    assert_eq!(ids.len(), total, "every call stored its own message");

    // Every acknowledged message is readable by the reader connections right away.
    for id in &ids {
        inbox.message(&tenant, *id).await.unwrap();
    }
    let conversations = inbox.conversations(&tenant, &ConversationQuery::new().limit(MAX_PAGE_SIZE)).await.unwrap();
    assert_eq!(conversations.items.len(), TASKS as usize, "one conversation per buyer");
    assert!(conversations.items.iter().all(|c| c.unread_count == CALLS_PER_TASK));
    let mut found = 0;
    let mut query = SearchQuery::new("bangkok").limit(MAX_PAGE_SIZE);
    loop {
        let page = inbox.search(&tenant, &query).await.unwrap();
        found += page.items.len();
        match page.next {
            Some(next) => query = query.before(Some(next)),
            None => break,
        }
    }
    assert_eq!(found, total, "every message is in the search index");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failing_call_does_not_undo_the_calls_committed_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = Arc::new(SqliteInbox::open(dir.path().join("inbox.db")).await.unwrap());
    let tenant = fixtures::tenant("acme");
    let account = fixtures::line_account(&tenant);
    inbox.save_account(&account).await.unwrap();
    let events = AccountEvents::new(&account);

    let mut tasks = Vec::new();
    for n in 0..200u32 {
        let inbox = Arc::clone(&inbox);
        let events = events.clone();
        tasks.push(tokio::spawn(async move {
            let customer = fixtures::customer(IdentityKind::LineUserId, n);
            let mut event = events.text(&format!("e-{n}"), &customer, &format!("m-{n}"), "สวัสดีค่ะ", at(n.into()));
            if n % 3 == 0 {
                // Fails inside the writer, after the writer has begun the shared transaction.
                event.account = ChannelAccountId::new();
            }
            (n, inbox.ingest(vec![event]).await)
        }));
    }
    let mut committed = 0;
    for task in tasks {
        let (n, result) = task.await.unwrap();
        if n % 3 == 0 {
            assert_eq!(result.unwrap_err().kind(), ErrorKind::NotFound, "call {n} names an unknown account");
        } else {
            assert!(matches!(result.unwrap()[0], IngestOutcome::Stored { .. }), "call {n} is stored");
            committed += 1;
        }
    }
    let page = inbox.conversations(&tenant, &ConversationQuery::new().limit(MAX_PAGE_SIZE)).await.unwrap();
    assert_eq!(page.items.len(), committed, "exactly the successful calls are stored");
}

#[tokio::test]
async fn an_ingest_call_with_an_invalid_event_persists_nothing_of_that_call() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = SqliteInbox::open(dir.path().join("inbox.db")).await.unwrap();
    let tenant = fixtures::tenant("acme");
    let account = fixtures::messenger_account(&tenant);
    inbox.save_account(&account).await.unwrap();
    let events = AccountEvents::new(&account);
    let customer = fixtures::messenger_user();

    let good = vec![
        events.text("e-1", &customer, "mid.1", "Do you have this in blue?", at(0)),
        events.reaction("r-1", &customer, "mid.0", Some("❤"), at(1)),
        events.follow("f-1", &customer, at(2)),
    ];
    // Refused before it reaches the writer: an edit without a message id.
    let mut invalid = good.clone();
    invalid.push(events.edit("e-2", &customer, "", "typo", at(3)));
    assert_eq!(inbox.ingest(invalid).await.unwrap_err().kind(), ErrorKind::InvalidInput);
    // Refused by the writer, after the first events ran in the call's savepoint.
    let mut unknown = good.clone();
    let mut stray = events.text("e-3", &customer, "mid.3", "hello?", at(4));
    stray.account = ChannelAccountId::new();
    unknown.push(stray);
    assert_eq!(inbox.ingest(unknown).await.unwrap_err().kind(), ErrorKind::NotFound);

    assert!(inbox.conversations(&tenant, &ConversationQuery::new()).await.unwrap().items.is_empty());
    // None of the good events was remembered: each is stored, not a duplicate.
    let outcomes = inbox.ingest(good).await.unwrap();
    assert!(outcomes.iter().all(|o| matches!(o, IngestOutcome::Stored { .. })), "got {outcomes:?}");
}
