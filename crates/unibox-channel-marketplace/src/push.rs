//! The push signature Lazada and TikTok Shop share: the `Authorization` header carries the
//! lowercase hex of HMAC-SHA256 over `app_key + raw body`, keyed with the app secret.
//!
//! Sources: Lazada Push Mechanism (`Base = app_key + raw_message_body`, Java sample, lowercase
//! hex); TikTok Shop webhooks (two community implementations agree on the same formula; the
//! official page only points at the request-signing guide).

use secrecy::{ExposeSecret, SecretString};
use unibox_core::channel::{Verified, WebhookRequest, signature};
use unibox_core::{Error, ErrorKind, Result};

use crate::signing::{decode_hex, encode_hex_lower};

/// The header both platforms put the push signature in.
pub const PUSH_SIGNATURE_HEADER: &str = "authorization";

/// The `Authorization` value a platform sends for `body` pushed to the app `app_key` whose
/// secret is `app_secret`: for tests, fake platforms and load generators.
///
/// ```
/// use unibox_channel_marketplace::push::push_signature;
/// let header = push_signature("115527", "app-secret", br#"{"message_type":2}"#);
/// assert_eq!(header.len(), 64);
/// assert!(header.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
/// ```
pub fn push_signature(app_key: &str, app_secret: &str, body: &[u8]) -> String {
    encode_hex_lower(&signature::hmac_sha256(app_secret.as_bytes(), &[app_key.as_bytes(), body]))
}

/// A push of `body` to `url`, signed as the platform signs it for the app `app_key` whose
/// secret is `app_secret`: for tests and fake platforms.
///
/// ```
/// use unibox_channel_marketplace::push::{push_signature, signed_push};
/// let request = signed_push("https://inbox.example.com/lazada".parse().unwrap(), "115527", "app-secret", b"{}");
/// assert_eq!(request.header("authorization"), Some(push_signature("115527", "app-secret", b"{}").as_str()));
/// ```
pub fn signed_push(url: url::Url, app_key: &str, app_secret: &str, body: &[u8]) -> WebhookRequest {
    WebhookRequest::post(url, body.to_vec())
        .with_header(PUSH_SIGNATURE_HEADER, &push_signature(app_key, app_secret, body))
}

/// Verifies a push of the app `app_key` against each secret in turn (two while rotating),
/// over the exact raw body, in constant time. Every refusal is `SignatureInvalid` naming the
/// rule that failed, with `operation` (`"lazada.verify"`) on the error.
///
/// ```
/// use secrecy::SecretString;
/// use unibox_channel_marketplace::push::{push_signature, verify_push};
/// use unibox_core::channel::WebhookRequest;
/// let body = br#"{"seller_id":"1234567","message_type":0}"#;
/// let request = WebhookRequest::post("https://inbox.example.com/lazada".parse().unwrap(), &body[..])
///     .with_header("Authorization", &push_signature("115527", "app-secret", body));
/// let secrets = [SecretString::from("app-secret")];
/// assert!(verify_push(&request, "115527", &secrets, "lazada.verify").is_ok());
/// assert!(verify_push(&request, "999999", &secrets, "lazada.verify").is_err());
/// ```
pub fn verify_push<'r>(
    request: &'r WebhookRequest,
    app_key: &str,
    secrets: &[SecretString],
    operation: &'static str,
) -> Result<Verified<'r>> {
    let invalid = |why: &'static str| Error::new(ErrorKind::SignatureInvalid, why).with_operation(operation);
    let mut values = request.headers.get_all(PUSH_SIGNATURE_HEADER).iter();
    let header = values.next().ok_or_else(|| invalid("the Authorization header (push signature) is missing"))?;
    if values.next().is_some() {
        return Err(invalid("the Authorization header (push signature) is repeated"));
    }
    let header = header.to_str().map_err(|_| invalid("the Authorization header is not ASCII"))?.trim();
    // Some proxies and test tools add a scheme; the platforms send the bare hex.
    let tag = decode_hex(header).ok_or_else(|| invalid("the Authorization header is not a hex HMAC-SHA256"))?;
    if tag.len() != 32 {
        return Err(invalid("the Authorization header is not a 64-digit hex HMAC-SHA256"));
    }
    for secret in secrets {
        let parts: [&[u8]; 2] = [app_key.as_bytes(), &request.body];
        if let Ok(proof) = signature::verify_hmac_sha256(secret.expose_secret().as_bytes(), &parts, &tag) {
            return Ok(Verified::new(request, proof));
        }
    }
    Err(invalid("the push signature does not match the app key and app secret"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: &'static str, headers: &[&str]) -> WebhookRequest {
        let mut request = WebhookRequest::post("https://inbox.example.com/push".parse().unwrap(), body);
        for value in headers {
            request.headers.append("authorization", value.parse().unwrap());
        }
        request
    }

    #[test]
    fn the_signature_covers_the_app_key_and_the_exact_body() {
        let body = r#"{"seller_id":"1234567","message_type":0}"#;
        let secrets = [SecretString::from("s3cret")];
        let good = push_signature("115527", "s3cret", body.as_bytes());
        assert!(verify_push(&request(body, &[&good]), "115527", &secrets, "test").is_ok());
        // Uppercase hex is the same tag.
        assert!(verify_push(&request(body, &[&good.to_uppercase()]), "115527", &secrets, "test").is_ok());
        let reformatted = r#"{"seller_id": "1234567", "message_type": 0}"#;
        assert!(verify_push(&request(reformatted, &[&good]), "115527", &secrets, "test").is_err());
        // The body alone (no app key) is not the signed string.
        let body_only = encode_hex_lower(&signature::hmac_sha256(b"s3cret", &[body.as_bytes()]));
        assert!(verify_push(&request(body, &[&body_only]), "115527", &secrets, "test").is_err());
    }

    #[test]
    fn missing_repeated_and_malformed_headers_are_refused() {
        let body = r#"{"type":14}"#;
        let secrets = [SecretString::from("s3cret")];
        let good = push_signature("6a1b2c", "s3cret", body.as_bytes());
        for (headers, why) in [
            (vec![], "missing"),
            (vec![good.as_str(), good.as_str()], "repeated"),
            (vec!["not hex"], "not a hex"),
            (vec![&good[..61]], "not a hex"),
            (vec![&good[..32]], "64-digit"),
        ] {
            let error = verify_push(&request(body, &headers), "6a1b2c", &secrets, "test").unwrap_err();
            assert_eq!(error.kind(), ErrorKind::SignatureInvalid);
            assert!(error.to_string().contains(why), "{error}");
            assert!(!error.to_string().contains(&good), "the expected signature never shows");
        }
    }

    #[test]
    fn either_secret_verifies_while_rotating() {
        let body = r#"{"type":1}"#;
        let secrets = [SecretString::from("old"), SecretString::from("new")];
        for secret in ["old", "new"] {
            let header = push_signature("k", secret, body.as_bytes());
            assert!(verify_push(&request(body, &[&header]), "k", &secrets, "test").is_ok());
        }
        let other = push_signature("k", "other", body.as_bytes());
        assert!(verify_push(&request(body, &[&other]), "k", &secrets, "test").is_err());
    }
}
