//! A full disk is an operating condition: on a small file system of its own (a `tmpfs`, which
//! needs root; the tests skip with a message elsewhere, and fail under
//! `UNIBOX_TEST_DISKFULL_REQUIRED=1`), `accept` refuses new events with a temporary
//! `StorageFull` error while the disk is short of room, the events accepted before are applied
//! into the reserve, and accepting and applying resume by themselves once space returns, with
//! every acknowledged event stored exactly once and no restart.

use std::path::Path;
use std::time::{Duration, Instant};

use unibox_core::inbox::{ConversationQuery, MessageQuery, RoutedEvent};
use unibox_core::{ErrorKind, IdentityKind, Inbox, TenantId};
use unibox_store_sqlite::{SqliteInbox, SqliteOptions};
use unibox_testkit::disk::SmallDisk;
use unibox_testkit::fixtures::{self, AccountEvents, at};

const DISK_BYTES: u64 = 16 * 1024 * 1024;
const RESERVE_BYTES: u64 = 4 * 1024 * 1024;

/// Events `from..to`, each a text with platform message id `m-{n}`, from three customers.
fn events(events: &AccountEvents, from: u32, to: u32) -> Vec<RoutedEvent> {
    (from..to)
        .map(|n| {
            let customer = fixtures::customer(IdentityKind::LineUserId, n % 3);
            events.text(&format!("evt-{n}"), &customer, &format!("m-{n}"), &format!("order {n}"), at(n.into()))
        })
        .collect()
}

/// The platform message ids stored for `tenant`, every page of every conversation.
async fn stored(inbox: &SqliteInbox, tenant: &TenantId) -> Vec<String> {
    let conversations = inbox.conversations(tenant, &ConversationQuery::new().limit(100)).await.unwrap().items;
    let mut ids = Vec::new();
    for conversation in conversations {
        let mut query = MessageQuery::new().limit(100);
        loop {
            let page = inbox.messages(tenant, conversation.id, &query).await.unwrap();
            ids.extend(page.items.into_iter().filter_map(|message| message.platform_message_id));
            match page.next {
                Some(cursor) => query = MessageQuery::new().limit(100).before(Some(cursor)),
                None => break,
            }
        }
    }
    ids
}

/// Asserts that exactly the events numbered in `acknowledged` are stored, each once; reads wait
/// for the events accepted before them, so this also proves they were applied.
async fn assert_stored_once(inbox: &SqliteInbox, tenant: &TenantId, acknowledged: &[u32]) {
    let stored = tokio::time::timeout(Duration::from_secs(20), stored(inbox, tenant))
        .await
        .expect("applying the accepted events did not finish in 20 s");
    for n in acknowledged {
        let id = format!("m-{n}");
        assert_eq!(stored.iter().filter(|s| **s == id).count(), 1, "{id} is stored exactly once");
    }
    assert_eq!(stored.len(), acknowledged.len(), "nothing unacknowledged is stored");
}

/// Waits (up to 2 s: the free space is looked at every 100 ms) until `accepting` says `want`.
async fn wait_accepting(inbox: &SqliteInbox, want: bool) {
    let deadline = Instant::now() + Duration::from_secs(2);
    while inbox.accepting().is_ok() != want {
        assert!(Instant::now() < deadline, "accepting() did not become {want}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn open(path: &Path, reserve: u64) -> (SqliteInbox, TenantId, AccountEvents) {
    let inbox = SqliteInbox::open_with(path, SqliteOptions::new().disk_reserve_bytes(reserve).cache_size_kib(512))
        .await
        .unwrap();
    let tenant = fixtures::tenant("acme");
    let account = fixtures::line_account(&tenant);
    inbox.save_account(&account).await.unwrap();
    let events = AccountEvents::new(&account);
    (inbox, tenant, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_the_reserve_accept_refuses_applies_what_it_took_and_resumes_when_space_returns() {
    let Some(disk) = SmallDisk::mount(
        "under_the_reserve_accept_refuses_applies_what_it_took_and_resumes_when_space_returns",
        DISK_BYTES,
    ) else {
        return;
    };
    let (inbox, tenant, events) = open(&disk.path().join("inbox.db"), RESERVE_BYTES).await;
    assert!(inbox.accepting().is_ok());

    // Acknowledged just before the disk runs short: not necessarily applied yet.
    inbox.accept(self::events(&events, 0, 300)).await.unwrap();
    let filler = disk.fill_leaving(RESERVE_BYTES / 2);
    wait_accepting(&inbox, false).await;
    let refused = inbox.accept(self::events(&events, 300, 310)).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::StorageFull, "{refused}");
    assert!(refused.is_temporary());
    assert!(refused.retry_after().is_some(), "a webhook answers 503 with Retry-After");
    assert_eq!(inbox.accepting().unwrap_err().kind(), ErrorKind::StorageFull);
    // What was acknowledged is applied into the reserve meanwhile.
    let acknowledged: Vec<u32> = (0..300).collect();
    assert_stored_once(&inbox, &tenant, &acknowledged).await;
    assert_eq!(inbox.unapplied_events(), 0);

    // Space returns: accepting resumes by itself, and so does applying.
    std::fs::remove_file(filler).unwrap();
    wait_accepting(&inbox, true).await;
    inbox.accept(self::events(&events, 300, 600)).await.unwrap();
    let acknowledged: Vec<u32> = (0..600).collect();
    assert_stored_once(&inbox, &tenant, &acknowledged).await;
    inbox.close().await;
}

/// Without a reserve (`disk_reserve_bytes(0)`) the disk fills up for real: SQLite's own
/// "disk full" is the same typed, temporary refusal, nothing acknowledged is lost, and once
/// space returns accepting and applying go on without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disk_filled_to_the_last_byte_refuses_loses_nothing_and_recovers_without_a_restart() {
    let Some(disk) = SmallDisk::mount(
        "a_disk_filled_to_the_last_byte_refuses_loses_nothing_and_recovers_without_a_restart",
        DISK_BYTES,
    ) else {
        return;
    };
    let (inbox, tenant, events) = open(&disk.path().join("inbox.db"), 0).await;
    let mut acknowledged = Vec::new();
    inbox.accept(self::events(&events, 0, 100)).await.unwrap();
    acknowledged.extend(0..100);
    let filler = disk.fill_leaving(0);

    // Keep accepting until the journal's pages and log are full too.
    let mut next = 100;
    let refused = loop {
        assert!(next < 50_000, "a full disk never refused an event");
        match inbox.accept(self::events(&events, next, next + 50)).await {
            Ok(_) => acknowledged.extend(next..next + 50),
            Err(error) => break error,
        }
        next += 50;
    };
    assert_eq!(refused.kind(), ErrorKind::StorageFull, "{refused}");
    assert!(refused.is_temporary());

    std::fs::remove_file(filler).unwrap();
    let resumed = next + 50;
    inbox.accept(self::events(&events, resumed, resumed + 100)).await.unwrap();
    acknowledged.extend(resumed..resumed + 100);
    assert_stored_once(&inbox, &tenant, &acknowledged).await;
    inbox.close().await;
}
