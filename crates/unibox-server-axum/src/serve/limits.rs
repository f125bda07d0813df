//! [`ConnectionLimits`]: what one client, or many, may hold of the server before a single byte
//! of a webhook is verified.

use std::time::Duration;

/// How long a client may take to send a request's headers by default.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection may stay open with no request in progress by default.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(5);
/// How many connections may be open at once by default (lowered at start to what the process's
/// open-file limit allows).
pub const DEFAULT_MAX_CONNECTIONS: usize = 4096;
/// How many connections one peer address may hold open by default.
pub const DEFAULT_MAX_CONNECTIONS_PER_PEER: usize = 256;
/// The largest request head (request line and headers) by default; larger gets `431`.
pub const DEFAULT_MAX_HEADER_BYTES: usize = 16 * 1024;
/// File descriptors kept free for everything that is not an accepted connection: the SQLite
/// files, outbound HTTP, the refusals being written, logs.
pub const FILE_DESCRIPTOR_RESERVE: usize = 128;

/// Connection-level limits of [`serve_with`](crate::serve_with): the protection against clients
/// that open connections and then send slowly, or nothing at all.
///
/// | limit | default | beyond it |
/// |---|---|---|
/// | [`header_read_timeout`](Self::header_read_timeout) | 10 s | the connection is closed |
/// | [`idle_timeout`](Self::idle_timeout) | 5 s | the connection is closed |
/// | [`max_connections`](Self::max_connections) | 4096, at most the open-file limit − 128 | the longest-idle connection is closed to make room; with none idle, `503` + `Retry-After` and close |
/// | [`max_connections_per_peer`](Self::max_connections_per_peer) | 256 | `503` + `Retry-After` and close |
/// | [`max_header_bytes`](Self::max_header_bytes) | 16 KiB | `431` and close |
/// | [`raise_file_limit`](Self::raise_file_limit) | on | the soft open-file limit is raised to the hard one at start |
///
/// Every refusal is logged (at most one line per second, with the count). The body has its own
/// timeout and size limit in [`WebhookServer`](crate::WebhookServer), and is read before a
/// webhook takes one of the `max_in_flight` slots, so slow senders never hold one.
///
/// ```
/// use std::time::Duration;
/// use unibox_server_axum::ConnectionLimits;
///
/// // Behind a reverse proxy every connection comes from the proxy's address.
/// let limits = ConnectionLimits::default()
///     .max_connections(2048)
///     .max_connections_per_peer(2048)
///     .header_read_timeout(Duration::from_secs(5));
/// assert_eq!(limits.connections(), 2048);
/// ```
#[derive(Clone, Debug)]
pub struct ConnectionLimits {
    pub(crate) header_read_timeout: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) max_connections: usize,
    pub(crate) max_connections_per_peer: usize,
    pub(crate) max_header_bytes: usize,
    pub(crate) raise_file_limit: bool,
    pub(crate) retry_after: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_peer: DEFAULT_MAX_CONNECTIONS_PER_PEER,
            max_header_bytes: DEFAULT_MAX_HEADER_BYTES,
            raise_file_limit: true,
            retry_after: Duration::from_secs(1),
        }
    }
}

impl ConnectionLimits {
    /// The limits of the table above.
    pub fn new() -> Self {
        Self::default()
    }

    /// How long a client may take from the moment the connection is ready for a request (opened,
    /// or the previous answer written) until the request's headers are complete (at least 1 ms).
    /// A client trickling its headers is closed when it runs out.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How long a connection may stay open with no request being handled, counted from its
    /// opening or its last answer (at least 1 ms). Keep-alive connections of busy platforms
    /// never reach it; idle ones free their file descriptor.
    pub fn idle_timeout(mut self, timeout: Duration) -> Self {
        self.idle_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How many connections may be open at once (at least 1). At start it is lowered to the
    /// process's open-file limit minus 128, so the server never runs out of file descriptors.
    pub fn max_connections(mut self, limit: usize) -> Self {
        self.max_connections = limit.max(1);
        self
    }

    /// How many connections one peer IP address may hold open (at least 1). Behind a reverse
    /// proxy every connection comes from the proxy: set it to `max_connections` there, and let
    /// the proxy limit each client.
    pub fn max_connections_per_peer(mut self, limit: usize) -> Self {
        self.max_connections_per_peer = limit.max(1);
        self
    }

    /// The largest request head, request line and headers together (at least 1 KiB). Webhook
    /// heads are well under 4 KiB.
    pub fn max_header_bytes(mut self, limit: usize) -> Self {
        self.max_header_bytes = limit.max(1024);
        self
    }

    /// Whether to raise the soft open-file limit to the hard limit at start (Unix; where the
    /// process may). On by default: the soft limit is often 1024, less than one busy server needs.
    pub fn raise_file_limit(mut self, raise: bool) -> Self {
        self.raise_file_limit = raise;
        self
    }

    /// The `Retry-After` of the `503` sent to a connection refused for a full server (rounded up
    /// to whole seconds, at least 1).
    pub fn retry_after(mut self, after: Duration) -> Self {
        self.retry_after = after;
        self
    }

    /// The configured connection cap, before it is fitted to the open-file limit.
    pub fn connections(&self) -> usize {
        self.max_connections
    }
}
