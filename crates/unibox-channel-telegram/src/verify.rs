//! The `X-Telegram-Bot-Api-Secret-Token` check: the secret token registered with `setWebhook`,
//! echoed by Telegram in every webhook, compared in constant time.
//!
//! Telegram signs nothing: the body is not covered, so the secret token (and HTTPS) is the
//! only authentication. A request carrying the header twice is refused, so a proxy that appends
//! a header cannot make one of two values count.

use unibox_core::channel::{Verified, WebhookRequest, signature};
use unibox_core::{Error, ErrorKind, Result};

use crate::WebhookSecret;

/// The header Telegram sends the secret token in (HTTP header names are case-insensitive).
pub const SECRET_TOKEN_HEADER: &str = "x-telegram-bot-api-secret-token";

fn invalid(why: &'static str) -> Error {
    Error::new(ErrorKind::SignatureInvalid, why).with_operation("telegram.verify")
}

/// Verifies `request` against each secret in turn (two while rotating the secret token).
pub(crate) fn verify_secret_token<'r>(request: &'r WebhookRequest, secrets: &[WebhookSecret]) -> Result<Verified<'r>> {
    let mut values = request.headers.get_all(SECRET_TOKEN_HEADER).iter();
    let header = values.next().ok_or_else(|| invalid("the X-Telegram-Bot-Api-Secret-Token header is missing"))?;
    if values.next().is_some() {
        return Err(invalid("the X-Telegram-Bot-Api-Secret-Token header appears more than once"));
    }
    let given = header.as_bytes();
    for secret in secrets {
        if let Ok(proof) = signature::secrets_match(given, secret.expose().as_bytes()) {
            return Ok(Verified::new(request, proof));
        }
    }
    Err(invalid("the X-Telegram-Bot-Api-Secret-Token does not match the webhook's secret token"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(secret: Option<&str>) -> WebhookRequest {
        let request = WebhookRequest::post("https://inbox.example.com/telegram".parse().unwrap(), "{}");
        match secret {
            Some(secret) => request.with_header("X-Telegram-Bot-Api-Secret-Token", secret),
            None => request,
        }
    }

    #[test]
    fn the_secret_must_match_exactly_once() {
        let secrets = [WebhookSecret::new("k3Jx9_vQ2-mT7pLwZr4sN8bYc1fHd6gE").unwrap()];
        assert!(verify_secret_token(&request(Some("k3Jx9_vQ2-mT7pLwZr4sN8bYc1fHd6gE")), &secrets).is_ok());
        for wrong in [Some("k3Jx9_vQ2-mT7pLwZr4sN8bYc1fHd6gF"), Some("k3Jx9"), Some(""), None] {
            let error = verify_secret_token(&request(wrong), &secrets).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::SignatureInvalid);
            assert!(!error.to_string().contains("k3Jx9_vQ2"), "the expected secret never shows");
        }
        let twice = request(Some("k3Jx9_vQ2-mT7pLwZr4sN8bYc1fHd6gE"))
            .with_header("X-Telegram-Bot-Api-Secret-Token", "k3Jx9_vQ2-mT7pLwZr4sN8bYc1fHd6gE");
        assert!(verify_secret_token(&twice, &secrets).unwrap_err().message().contains("more than once"));
    }

    #[test]
    fn either_secret_verifies_while_rotating() {
        let secrets = [WebhookSecret::new("new-secret").unwrap(), WebhookSecret::new("old-secret").unwrap()];
        assert!(verify_secret_token(&request(Some("old-secret")), &secrets).is_ok());
        assert!(verify_secret_token(&request(Some("new-secret")), &secrets).is_ok());
        assert!(verify_secret_token(&request(Some("other")), &secrets).is_err());
    }
}
