//! The GET subscription handshake: `hub.mode=subscribe`, `hub.verify_token`, `hub.challenge`.

use http::Method;
use secrecy::{ExposeSecret, SecretString};
use unibox_core::channel::{WebhookRequest, WebhookResponse, signature};
use unibox_core::{Error, ErrorKind, Result};

/// The longest `hub.challenge` echoed back. Meta sends a short number; the cap keeps the
/// endpoint from reflecting arbitrary large input.
pub const MAX_CHALLENGE_LENGTH: usize = 256;

fn refused(message: &'static str) -> Error {
    Error::new(ErrorKind::SignatureInvalid, message).with_operation("meta.handshake")
}

/// Answers Meta's subscription handshake, or `None` when `request` is not one (not a GET, or
/// no `hub.mode` parameter), so the caller goes on to verify it as a delivery.
///
/// The verify token is compared in constant time. A wrong token, a mode other than
/// `subscribe` or a missing challenge is a `SignatureInvalid` error (answered with 401); a
/// match answers `200` with the challenge as a plain-text body.
///
/// ```
/// use secrecy::SecretString;
/// use unibox_channel_meta::answer_handshake;
/// use unibox_core::channel::WebhookRequest;
/// let token = SecretString::from("meatyhamhock");
/// let url = "https://inbox.example.com/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock";
/// let response = answer_handshake(&WebhookRequest::get(url.parse().unwrap()), &token).unwrap().unwrap();
/// assert_eq!(response.body.as_ref(), b"1158201444");
/// ```
pub fn answer_handshake(request: &WebhookRequest, verify_token: &SecretString) -> Option<Result<WebhookResponse>> {
    if request.method != Method::GET {
        return None;
    }
    let mode = request.query("hub.mode")?;
    Some(check(request, &mode, verify_token))
}

fn check(request: &WebhookRequest, mode: &str, verify_token: &SecretString) -> Result<WebhookResponse> {
    if mode != "subscribe" {
        return Err(refused("hub.mode must be subscribe"));
    }
    let given = request.query("hub.verify_token").unwrap_or_default();
    signature::secrets_match(given.as_bytes(), verify_token.expose_secret().as_bytes())
        .map_err(|_| refused("hub.verify_token does not match the configured verify token"))?;
    let challenge = request.query("hub.challenge").unwrap_or_default();
    if challenge.is_empty() || challenge.len() > MAX_CHALLENGE_LENGTH {
        return Err(refused("hub.challenge is missing or too long"));
    }
    Ok(WebhookResponse::text(200, challenge))
}
