//! A full disk under the webhook server, on a small file system of its own (a `tmpfs`, which
//! needs root; the test skips with a message elsewhere, and fails under
//! `UNIBOX_TEST_DISKFULL_REQUIRED=1`, as in CI).
//!
//! While the disk is short of room, valid webhooks are answered `503` with `Retry-After` (never
//! `200` without storage) and `/ready` is `503`; the webhooks acknowledged before are all
//! applied; once space returns, ingest and applying resume without a restart, `/ready` is
//! `200`, and every acknowledged webhook is in the inbox exactly once.

mod common;

use std::time::{Duration, Instant};

use common::{Running, SECRET, message_delivery, now, stored_message_ids};
use unibox_server_axum::WebhookServer;
use unibox_store_sqlite::SqliteOptions;
use unibox_testkit::disk::SmallDisk;

const DISK_BYTES: u64 = 16 * 1024 * 1024;
const RESERVE_BYTES: u64 = 4 * 1024 * 1024;

/// Sends webhooks `numbers` one after another, signed `age` seconds ago (a platform's retry is
/// signed anew: a byte-for-byte copy is a replay); returns each one's status and `Retry-After`.
async fn send(server: &Running, numbers: std::ops::Range<usize>, age: i64) -> Vec<(usize, u16, Option<String>)> {
    let mut answers = Vec::new();
    for n in numbers {
        let response = server.deliver("acme-orders", &message_delivery("shop-1", n), SECRET, now() - age).await;
        let retry_after =
            response.headers().get("retry-after").map(|value| value.to_str().unwrap_or_default().to_owned());
        answers.push((n, response.status().as_u16(), retry_after));
    }
    answers
}

/// Waits (up to 2 s: the store looks at the free space every 100 ms) until `/ready` answers
/// `status`; returns that answer.
async fn ready_becomes(server: &Running, status: u16) -> reqwest::Response {
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let response = server.http.get(server.url("/ready")).send().await.unwrap();
        if response.status().as_u16() == status {
            return response;
        }
        assert!(Instant::now() < deadline, "/ready did not become {status}: still {}", response.status());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_503_and_not_ready_then_resumes_by_itself_when_space_returns() {
    let Some(disk) =
        SmallDisk::mount("a_full_disk_answers_503_and_not_ready_then_resumes_by_itself_when_space_returns", DISK_BYTES)
    else {
        return;
    };
    let options = SqliteOptions::new().disk_reserve_bytes(RESERVE_BYTES).cache_size_kib(512);
    let hub = common::sqlite_hub_with(&disk.path().join("inbox.db"), options).await;
    let server = Running::start(WebhookServer::new(hub.clone())).await;
    assert_eq!(server.http.get(server.url("/ready")).send().await.unwrap().status(), 200);

    let mut acknowledged = Vec::new();
    for (n, status, _) in send(&server, 0..60, 0).await {
        assert_eq!(status, 200, "webhook {n} with room to spare");
        acknowledged.push(n);
    }

    // The disk runs short of room (under the reserve, with some left for applying).
    let filler = disk.fill_leaving(RESERVE_BYTES / 2);
    let unready = ready_becomes(&server, 503).await;
    assert!(unready.headers().contains_key("retry-after"));
    let body: serde_json::Value = serde_json::from_str(&unready.text().await.unwrap()).unwrap();
    assert_eq!(body["error"], "storage_full", "{body}");
    for (n, status, retry_after) in send(&server, 60..80, 0).await {
        assert_eq!(status, 503, "webhook {n} while the disk is short of room is refused, never 200 unstored");
        assert_eq!(retry_after.as_deref(), Some("5"), "webhook {n} is told when to retry");
    }
    assert_eq!(server.http.get(server.url("/ready")).send().await.unwrap().status(), 503);
    // Everything acknowledged before is applied meanwhile (reads wait for it).
    let stored = tokio::time::timeout(Duration::from_secs(20), stored_message_ids(&hub, "acme"))
        .await
        .expect("the acknowledged webhooks were not applied within 20 s");
    assert_eq!(stored.len(), acknowledged.len(), "what was acknowledged, and nothing refused, is stored");

    // Space returns: no restart, the platform's retries of the refused ones and new ones are stored.
    std::fs::remove_file(filler).unwrap();
    ready_becomes(&server, 200).await;
    for (n, status, _) in send(&server, 60..120, 2).await {
        assert_eq!(status, 200, "webhook {n} once space is back");
        acknowledged.push(n);
    }
    let stored = tokio::time::timeout(Duration::from_secs(20), stored_message_ids(&hub, "acme"))
        .await
        .expect("applying did not resume within 20 s");
    for n in &acknowledged {
        let id = format!("m-{n}");
        assert_eq!(stored.iter().filter(|s| **s == id).count(), 1, "{id} is stored exactly once");
    }
    assert_eq!(stored.len(), acknowledged.len(), "nothing else is stored");
}
