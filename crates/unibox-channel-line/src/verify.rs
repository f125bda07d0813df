//! The `X-Line-Signature` check: Base64 of HMAC-SHA256 of the exact body, keyed with the
//! channel secret, compared in constant time.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};
use unibox_core::channel::{Verified, WebhookRequest, signature};
use unibox_core::{Error, ErrorKind, Result};

/// The header LINE signs webhooks in (HTTP header names are case-insensitive).
pub const SIGNATURE_HEADER: &str = "x-line-signature";

/// The `X-Line-Signature` value LINE would send for `body` signed with `channel_secret`: for
/// tests, fake platforms and load generators.
///
/// ```
/// // The fact sheet's vector (platforms-chat.md §5.1).
/// let header = unibox_channel_line::signature_header("channelsecret", br#"{"destination":"U0","events":[]}"#);
/// assert_eq!(header, "mPzXvmp5o47ZLzcZ27C0voI4JEov6gID7IZ7YD4j1Z4=");
/// ```
pub fn signature_header(channel_secret: &str, body: &[u8]) -> String {
    STANDARD.encode(signature::hmac_sha256(channel_secret.as_bytes(), &[body]))
}

fn invalid(why: &'static str) -> Error {
    Error::new(ErrorKind::SignatureInvalid, why).with_operation("line.verify")
}

/// Verifies `request` against each secret in turn (two while rotating the channel secret).
pub(crate) fn verify_signature<'r>(request: &'r WebhookRequest, secrets: &[SecretString]) -> Result<Verified<'r>> {
    let header = request
        .single_header(SIGNATURE_HEADER)
        .map_err(|error| error.with_operation("line.verify"))?
        .ok_or_else(|| invalid("the X-Line-Signature header is missing"))?;
    let tag = STANDARD.decode(header.trim()).map_err(|_| invalid("the X-Line-Signature header is not Base64"))?;
    for secret in secrets {
        if let Ok(proof) = signature::verify_hmac_sha256(secret.expose_secret().as_bytes(), &[&request.body], &tag) {
            return Ok(Verified::new(request, proof));
        }
    }
    Err(invalid("the X-Line-Signature does not match the channel secret"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: &'static str, signature: &str) -> WebhookRequest {
        WebhookRequest::post("https://inbox.example.com/line".parse().unwrap(), body)
            .with_header("X-Line-Signature", signature)
    }

    #[test]
    fn the_fact_sheet_vector_verifies_and_a_changed_body_does_not() {
        let secrets = [SecretString::from("channelsecret")];
        let good = request(r#"{"destination":"U0","events":[]}"#, "mPzXvmp5o47ZLzcZ27C0voI4JEov6gID7IZ7YD4j1Z4=");
        assert!(verify_signature(&good, &secrets).is_ok());
        let changed = request(r#"{"destination":"U1","events":[]}"#, "mPzXvmp5o47ZLzcZ27C0voI4JEov6gID7IZ7YD4j1Z4=");
        assert_eq!(verify_signature(&changed, &secrets).unwrap_err().kind(), ErrorKind::SignatureInvalid);
    }

    #[test]
    fn either_secret_verifies_while_rotating() {
        let body = r#"{"destination":"U0","events":[]}"#;
        let secrets = [SecretString::from("old-secret"), SecretString::from("new-secret")];
        assert!(verify_signature(&request(body, &signature_header("new-secret", body.as_bytes())), &secrets).is_ok());
        assert!(verify_signature(&request(body, &signature_header("old-secret", body.as_bytes())), &secrets).is_ok());
        assert!(verify_signature(&request(body, &signature_header("other", body.as_bytes())), &secrets).is_err());
    }

    #[test]
    fn malformed_and_truncated_signatures_are_refused() {
        let secrets = [SecretString::from("channelsecret")];
        let body = r#"{"destination":"U0","events":[]}"#;
        assert!(verify_signature(&request(body, "not base64!"), &secrets).is_err());
        assert!(verify_signature(&request(body, "mPzXvmp5o47ZLzcZ27C0vg=="), &secrets).is_err());
        assert!(verify_signature(&request(body, ""), &secrets).is_err());
        let unsigned = WebhookRequest::post("https://inbox.example.com/line".parse().unwrap(), body);
        assert!(verify_signature(&unsigned, &secrets).is_err());
    }

    #[test]
    fn a_repeated_signature_header_is_refused_even_when_one_value_matches() {
        let secrets = [SecretString::from("channelsecret")];
        let body = r#"{"destination":"U0","events":[]}"#;
        let good = signature_header("channelsecret", body.as_bytes());
        for (first, second) in
            [(good.as_str(), "bm90IGl0"), ("bm90IGl0", good.as_str()), (good.as_str(), good.as_str())]
        {
            let twice = request(body, first).with_header("X-Line-Signature", second);
            let refused = verify_signature(&twice, &secrets).unwrap_err();
            assert_eq!(refused.kind(), ErrorKind::SignatureInvalid);
            assert!(refused.message().contains("more than once"), "{refused}");
        }
    }
}
