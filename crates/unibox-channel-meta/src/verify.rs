//! `X-Hub-Signature-256`: HMAC-SHA256 of the exact raw body, keyed by the app secret.

use unibox_core::channel::{Verified, WebhookRequest, hex, signature};
use unibox_core::{Error, ErrorKind, Result};

use crate::AppSecret;

/// The header Meta signs every webhook POST with.
pub const SIGNATURE_HEADER: &str = "x-hub-signature-256";

fn invalid(message: &'static str) -> Error {
    Error::new(ErrorKind::SignatureInvalid, message).with_operation("meta.verify")
}

/// Checks `X-Hub-Signature-256` over the exact body bytes, in constant time, against each
/// secret in turn (two while an app secret is being rotated; the Instagram app secret beside
/// the Facebook one for Instagram Login apps).
///
/// The legacy SHA-1 `X-Hub-Signature` header is not accepted: every Meta product sends the
/// SHA-256 one.
///
/// ```
/// use unibox_channel_meta::{verify_signature, AppSecret};
/// use unibox_core::channel::WebhookRequest;
/// let secret = AppSecret::new("appsecret");
/// let body = br#"{"object":"page","entry":[]}"#;
/// let request = WebhookRequest::post("https://inbox.example.com/meta".parse().unwrap(), &body[..])
///     .with_header("X-Hub-Signature-256", &secret.signature_header(body));
/// assert!(verify_signature(&request, &[secret]).is_ok());
/// ```
pub fn verify_signature<'r>(request: &'r WebhookRequest, secrets: &[AppSecret]) -> Result<Verified<'r>> {
    let value = request
        .single_header(SIGNATURE_HEADER)
        .map_err(|error| error.with_operation("meta.verify"))?
        .ok_or_else(|| invalid("the X-Hub-Signature-256 header is missing: Meta signs every delivery"))?;
    let Some(hex_digest) = value.strip_prefix("sha256=") else {
        return Err(invalid("the X-Hub-Signature-256 header must start with sha256="));
    };
    let Some(tag) = hex::decode_exact::<32>(hex_digest) else {
        return Err(invalid("the X-Hub-Signature-256 header must be sha256= and 64 hex digits"));
    };
    if secrets.is_empty() {
        return Err(Error::new(ErrorKind::Configuration, "no app secret is configured to verify Meta webhooks")
            .with_operation("meta.verify"));
    }
    for secret in secrets {
        if let Ok(proof) = signature::verify_hmac_sha256(secret.key(), &[&request.body], &tag) {
            return Ok(Verified::new(request, proof));
        }
    }
    Err(invalid("the X-Hub-Signature-256 signature does not match the app secret"))
}
