//! [`StoreCapabilities`]: what a storage backend can do, described once.

/// What a [`Store`](crate::store::Store) can do, as plain flags and limits (like a channel's
/// [`Capabilities`](crate::channel::Capabilities)). The hub and the testkit read it; nothing
/// probes the backend instead.
///
/// Built from [`Default`] (nothing) by setting what applies, so adding a capability later does
/// not break a backend:
///
/// ```
/// use unibox_core::store::StoreCapabilities;
/// let mut capabilities = StoreCapabilities::default();
/// capabilities.durable = true;
/// capabilities.outbox = true;
/// assert!(!capabilities.sealed_tokens);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreCapabilities {
    /// Every part survives a restart of the process (tokens and audit trail included).
    pub durable: bool,
    /// Tokens are encrypted at rest (the token vault); the storage never sees a token.
    pub sealed_tokens: bool,
    /// The audit trail is kept in the same storage as the inbox.
    pub durable_audit: bool,
    /// Sends are recorded with an outbox job and retried ([`Store::outbox`](crate::store::Store::outbox) is there).
    pub outbox: bool,
    /// Changes can be followed from a position ([`Store::changes`](crate::store::Store::changes) is there).
    pub change_log: bool,
    /// Several processes can share the storage (leases and compare-and-swap hold across them).
    pub shared_across_processes: bool,
    /// Usage counters are kept ([`Store::meter`](crate::store::Store::meter)).
    pub metering: bool,
    /// Message credits are kept ([`Store::credits`](crate::store::Store::credits)).
    pub credits: bool,
    /// Sessions are kept ([`Store::sessions`](crate::store::Store::sessions)).
    pub sessions: bool,
    /// Deletion requests are kept ([`Store::deletion_requests`](crate::store::Store::deletion_requests)).
    pub deletion_requests: bool,
    /// Orders are kept ([`Store::orders`](crate::store::Store::orders)).
    pub orders: bool,
    /// History pull cursors are kept ([`Store::sync_cursors`](crate::store::Store::sync_cursors)).
    pub sync_cursors: bool,
    /// The product catalog is kept ([`Store::catalog`](crate::store::Store::catalog)).
    pub catalog: bool,
    /// Exports can be imported ([`Store::restore`](crate::store::Store::restore) is there).
    pub restore: bool,
    /// Retention and erasure are supported ([`Store::lifecycle`](crate::store::Store::lifecycle)).
    pub lifecycle: bool,
    /// Who holds each conversation (bot or person) is kept
    /// ([`Store::conversation_control`](crate::store::Store::conversation_control)).
    pub conversation_control: bool,
    /// The largest page a listing serves.
    pub max_page_size: usize,
}
