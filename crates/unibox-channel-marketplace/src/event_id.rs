//! Stable event ids for pushes that carry none. Both platforms deliver at least once (Lazada
//! retries every 30 minutes, up to 12 times), so the id must be the same on every delivery
//! of the same thing: it comes from the payload, never from the arrival time or a counter.

use sha2::{Digest, Sha256};

/// `{prefix}-sha256-{32 hex digits}`: the first 128 bits of SHA-256 over `bytes`.
///
/// ```
/// use unibox_channel_marketplace::event_id::fingerprint;
/// let id = fingerprint("lazada", br#"{"message_type":13}"#);
/// assert!(id.starts_with("lazada-sha256-"));
/// assert_eq!(id, fingerprint("lazada", br#"{"message_type":13}"#));
/// assert_ne!(id, fingerprint("lazada", br#"{"message_type":14}"#));
/// ```
pub fn fingerprint(prefix: &str, bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    format!("{prefix}-sha256-{}", crate::signing::encode_hex_lower(&digest[..16]))
}
