//! Refusing a connection the server has no room for: a short `503` with `Retry-After`, written
//! without reading the request, then the connection is closed. Logged, at most once a second.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::registry::Refusal;

/// Refusals being written at once; beyond it a refused connection is closed without an answer,
/// so refusing costs a bounded number of file descriptors.
const MAX_REFUSALS_IN_PROGRESS: usize = 64;
/// How long writing a refusal and draining the request may take.
const REFUSAL_TIME: Duration = Duration::from_millis(500);

/// Writes refusals and counts them for the log.
#[derive(Debug)]
pub(crate) struct Refuser {
    full: Bytes,
    peer_full: Bytes,
    in_progress: AtomicUsize,
    log: ThrottledLog,
}

impl Refuser {
    pub(crate) fn new(retry_after: Duration, max_connections: usize, max_per_peer: usize) -> Arc<Self> {
        let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
        Arc::new(Refuser {
            full: answer(
                seconds.max(1),
                &format!("the server holds {max_connections} connections already; retry later"),
            ),
            peer_full: answer(
                seconds.max(1),
                &format!("this address holds {max_per_peer} connections already; reuse one or retry later"),
            ),
            in_progress: AtomicUsize::new(0),
            log: ThrottledLog::new(),
        })
    }

    /// Answers `stream` with `503` in a task of its own, or closes it at once when too many
    /// refusals are being written already.
    pub(crate) fn refuse(self: &Arc<Self>, mut stream: TcpStream, why: Refusal, open: usize) {
        self.log.count(why, open);
        if self.in_progress.fetch_add(1, Ordering::AcqRel) >= MAX_REFUSALS_IN_PROGRESS {
            self.in_progress.fetch_sub(1, Ordering::AcqRel);
            return;
        }
        let this = Arc::clone(self);
        tokio::spawn(async move {
            let answer = match why {
                Refusal::Full => this.full.clone(),
                Refusal::PeerFull => this.peer_full.clone(),
            };
            let _ = tokio::time::timeout(REFUSAL_TIME, async {
                stream.write_all(&answer).await?;
                stream.shutdown().await?;
                // Read what the client sent, so closing does not reset the connection before it
                // read the answer.
                let mut sink = [0u8; 4096];
                while stream.read(&mut sink).await? > 0 {}
                Ok::<(), std::io::Error>(())
            })
            .await;
            this.in_progress.fetch_sub(1, Ordering::AcqRel);
        });
    }
}

fn answer(retry_after_seconds: u64, message: &str) -> Bytes {
    let body = serde_json::json!({ "error": "overloaded", "message": message }).to_string();
    Bytes::from(format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: {retry_after_seconds}\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    ))
}

/// Logs refused connections at most once a second, with how many there were since the last line.
#[derive(Debug)]
struct ThrottledLog {
    epoch: Instant,
    /// The second (since `epoch`) of the next allowed line.
    next_line_at: AtomicU64,
    full: AtomicU64,
    peer_full: AtomicU64,
}

impl ThrottledLog {
    fn new() -> Self {
        ThrottledLog {
            epoch: Instant::now(),
            next_line_at: AtomicU64::new(0),
            full: AtomicU64::new(0),
            peer_full: AtomicU64::new(0),
        }
    }

    fn count(&self, why: Refusal, open: usize) {
        match why {
            Refusal::Full => self.full.fetch_add(1, Ordering::Relaxed),
            Refusal::PeerFull => self.peer_full.fetch_add(1, Ordering::Relaxed),
        };
        let second = self.epoch.elapsed().as_secs();
        let next = self.next_line_at.load(Ordering::Relaxed);
        if second < next
            || self.next_line_at.compare_exchange(next, second + 1, Ordering::AcqRel, Ordering::Relaxed).is_err()
        {
            return;
        }
        let full = self.full.swap(0, Ordering::Relaxed);
        let peer_full = self.peer_full.swap(0, Ordering::Relaxed);
        tracing::warn!(
            target: "unibox::server",
            refused_server_full = full,
            refused_peer_full = peer_full,
            open_connections = open,
            "connections refused with 503: the server or one peer address is at its connection limit"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_is_a_complete_503_with_retry_after() {
        let text = String::from_utf8(answer(2, "full").to_vec()).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 "));
        assert!(head.contains("retry-after: 2\r\n"));
        assert!(head.contains(&format!("content-length: {}", body.len())));
        assert_eq!(serde_json::from_str::<serde_json::Value>(body).unwrap()["error"], "overloaded");
    }
}
