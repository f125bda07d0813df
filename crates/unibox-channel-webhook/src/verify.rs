//! Standard Webhooks 1.0 verification: the three headers, the timestamp tolerance, the
//! signature list and the replay guard.

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use unibox_core::channel::{Verified, WebhookRequest, signature};
use unibox_core::{Error, ErrorKind, Result, Timestamp};

use crate::WebhookSecret;
use crate::replay::ReplayGuard;

/// The header carrying the message id (the sender's idempotency key).
pub const HEADER_ID: &str = "webhook-id";
/// The header carrying the signing time, in Unix seconds.
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
/// The header carrying the space-separated signature list (`v1,<base64> v1,<base64>`).
pub const HEADER_SIGNATURE: &str = "webhook-signature";

/// The longest `webhook-id` accepted, in bytes; it bounds what the replay guard stores.
pub const MAX_ID_LENGTH: usize = 256;

/// How many `v1` signatures one delivery may carry. A rotation needs two or three; the cap
/// bounds the HMAC work a hostile header can cause.
pub const MAX_SIGNATURES: usize = 8;

fn invalid(message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::SignatureInvalid, message).with_operation("webhook.verify")
}

/// The value of a header that must appear exactly once.
fn single_header<'r>(request: &'r WebhookRequest, name: &'static str) -> Result<&'r str> {
    request
        .single_header(name)
        .map_err(|error| error.with_operation("webhook.verify"))?
        .ok_or_else(|| invalid(format!("the {name} header is missing")))
}

/// The signed headers of a delivery, checked for form but not yet for authenticity.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SignedHeaders<'r> {
    pub(crate) id: &'r str,
    pub(crate) timestamp_text: &'r str,
    pub(crate) timestamp: i64,
    pub(crate) signatures: &'r str,
}

impl<'r> SignedHeaders<'r> {
    pub(crate) fn read(request: &'r WebhookRequest) -> Result<Self> {
        let id = single_header(request, HEADER_ID)?;
        let timestamp_text = single_header(request, HEADER_TIMESTAMP)?;
        let signatures = single_header(request, HEADER_SIGNATURE)?;
        if id.is_empty() || id.len() > MAX_ID_LENGTH {
            return Err(invalid(format!("the webhook-id header must be 1 to {MAX_ID_LENGTH} bytes long")));
        }
        // The signed content is "{id}.{timestamp}.{body}": a '.' in either field would let
        // one signature stand for two different (id, timestamp) splits.
        if id.contains('.') {
            return Err(invalid("the webhook-id header must not contain '.'"));
        }
        let timestamp = parse_unix_seconds(timestamp_text)
            .ok_or_else(|| invalid("the webhook-timestamp header must be whole Unix seconds (digits only, no '.')"))?;
        Ok(SignedHeaders { id, timestamp_text, timestamp, signatures })
    }
}

fn parse_unix_seconds(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 18 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// Checks that the signing time is within `tolerance` of `now`, in both directions.
fn check_timestamp(timestamp: i64, now: Timestamp, tolerance: Duration) -> Result<()> {
    let now = now.as_unix_seconds();
    let tolerance = i64::try_from(tolerance.as_secs()).unwrap_or(i64::MAX);
    if timestamp < now.saturating_sub(tolerance) {
        return Err(invalid(format!(
            "the webhook-timestamp is {} s old, more than the {tolerance} s tolerance (a replay, or a sender clock far behind)",
            now.saturating_sub(timestamp)
        ))
        .with_context("webhook_timestamp", timestamp));
    }
    if timestamp > now.saturating_add(tolerance) {
        return Err(invalid(format!(
            "the webhook-timestamp is {} s in the future, more than the {tolerance} s tolerance (a sender clock far ahead)",
            timestamp.saturating_sub(now)
        ))
        .with_context("webhook_timestamp", timestamp));
    }
    Ok(())
}

/// What verification needs from the channel.
pub(crate) struct Verifier<'c> {
    pub(crate) secrets: &'c [WebhookSecret],
    pub(crate) tolerance: Duration,
    pub(crate) replay: &'c ReplayGuard,
}

impl Verifier<'_> {
    /// Verifies a delivery as of `now`.
    pub(crate) fn verify<'r>(&self, request: &'r WebhookRequest, now: Timestamp) -> Result<Verified<'r>> {
        let headers = SignedHeaders::read(request)?;
        check_timestamp(headers.timestamp, now, self.tolerance)?;
        let parts: [&[u8]; 5] = [headers.id.as_bytes(), b".", headers.timestamp_text.as_bytes(), b".", &request.body];

        let mut v1_count = 0;
        for entry in headers.signatures.split(' ').filter(|entry| !entry.is_empty()) {
            // Other versions (v1a is ed25519) are skipped: a delivery signed both ways still
            // passes on its v1 signature, and one signed only with an unknown scheme fails below.
            let Some(("v1", encoded)) = entry.split_once(',') else { continue };
            v1_count += 1;
            if v1_count > MAX_SIGNATURES {
                return Err(invalid(format!(
                    "the webhook-signature header has more than {MAX_SIGNATURES} v1 signatures"
                )));
            }
            let mut tag = [0u8; 48];
            let Ok(length) = STANDARD.decode_slice(encoded, &mut tag) else { continue };
            for secret in self.secrets {
                if let Ok(proof) = signature::verify_hmac_sha256(secret.key(), &parts, &tag[..length]) {
                    if !self.replay.first_time(headers.id, headers.timestamp, now) {
                        return Err(invalid(
                            "this delivery (same webhook-id and webhook-timestamp) was already verified: a replay",
                        )
                        .with_context("webhook_id", headers.id));
                    }
                    return Ok(Verified::new(request, proof));
                }
            }
        }
        if v1_count == 0 {
            return Err(invalid("the webhook-signature header has no v1 signature"));
        }
        Err(invalid("no v1 signature in webhook-signature matches a configured secret")
            .with_context("webhook_id", headers.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_accept_digits_only() {
        assert_eq!(parse_unix_seconds("1614265330"), Some(1_614_265_330));
        assert_eq!(parse_unix_seconds("1614265330.5"), None);
        assert_eq!(parse_unix_seconds("-5"), None);
        assert_eq!(parse_unix_seconds("+5"), None);
        assert_eq!(parse_unix_seconds(""), None);
        assert_eq!(parse_unix_seconds("9999999999999999999999"), None);
    }

    #[test]
    fn the_tolerance_boundary_is_inclusive() {
        let now = Timestamp::from_unix_seconds(1_000_000);
        let tolerance = Duration::from_secs(300);
        assert!(check_timestamp(999_700, now, tolerance).is_ok());
        assert!(check_timestamp(1_000_300, now, tolerance).is_ok());
        assert!(check_timestamp(999_699, now, tolerance).is_err());
        assert!(check_timestamp(1_000_301, now, tolerance).is_err());
    }
}
