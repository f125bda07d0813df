//! The push check: the `Authorization` header is the lowercase hex of HMAC-SHA256 over
//! `callback_url + "|" + raw body`, keyed with the partner key, compared in constant time.

use secrecy::{ExposeSecret, SecretString};
use unibox_core::channel::{Verified, WebhookRequest, hex, signature};
use unibox_core::{Error, ErrorKind, Result};

/// The header Shopee signs pushes in: the bare hex digest, no scheme.
pub const AUTHORIZATION_HEADER: &str = "authorization";

/// The `Authorization` value Shopee would send for `body` pushed to `callback_url`, signed with
/// `partner_key`: for tests, fake platforms and load generators.
///
/// ```
/// let value = unibox_channel_shopee::push_authorization(
///     "partner-key-for-tests",
///     "https://inbox.example.com/webhooks/shopee",
///     br#"{"code":0,"data":{"verify_info":"ok"}}"#,
/// );
/// assert_eq!(value.len(), 64);
/// ```
pub fn push_authorization(partner_key: &str, callback_url: &str, body: &[u8]) -> String {
    hex::encode(&signature::hmac_sha256(partner_key.as_bytes(), &[callback_url.as_bytes(), b"|", body]))
}

fn invalid(why: &'static str) -> Error {
    Error::new(ErrorKind::SignatureInvalid, why).with_operation("shopee.verify")
}

/// Verifies `request` against each partner key in turn (two while resetting the key).
pub(crate) fn verify_push<'r>(
    request: &'r WebhookRequest,
    callback_url: &str,
    keys: &[SecretString],
) -> Result<Verified<'r>> {
    let mut values = request.headers.get_all(AUTHORIZATION_HEADER).iter();
    let value = values.next().ok_or_else(|| invalid("the Authorization header of the Shopee push is missing"))?;
    if values.next().is_some() {
        return Err(invalid("the Shopee push carries the Authorization header more than once"));
    }
    let value = value.to_str().map_err(|_| invalid("the Authorization header of the Shopee push is not ASCII"))?;
    let tag = hex::decode_exact::<32>(value.trim())
        .ok_or_else(|| invalid("the Authorization header of the Shopee push is not 64 hex digits"))?;
    let parts: [&[u8]; 3] = [callback_url.as_bytes(), b"|", &request.body];
    for key in keys {
        if let Ok(proof) = signature::verify_hmac_sha256(key.expose_secret().as_bytes(), &parts, &tag) {
            return Ok(Verified::new(request, proof));
        }
    }
    Err(invalid("the Shopee push's Authorization does not match the partner key and the configured callback URL"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "https://inbox.example.com/webhooks/shopee";
    const BODY: &str = r#"{"code":0,"data":{"verify_info":"ok"}}"#;

    fn request(authorization: &[&str]) -> WebhookRequest {
        let mut request = WebhookRequest::post(URL.parse().unwrap(), BODY);
        for value in authorization {
            request.headers.append("authorization", value.parse().unwrap());
        }
        request
    }

    #[test]
    fn an_independently_computed_vector_verifies() {
        // python3: hmac.new(b"partner-key-for-tests", (URL + "|" + BODY).encode(), hashlib.sha256).hexdigest()
        let expected = "0cea21a5b7e2b989aa4b330b3c391f3bc3930eff8c4b457460b4cb9d53a4acf6";
        assert_eq!(push_authorization("partner-key-for-tests", URL, BODY.as_bytes()), expected);
        let keys = [SecretString::from("partner-key-for-tests")];
        assert!(verify_push(&request(&[expected]), URL, &keys).is_ok());
        assert!(verify_push(&request(&[&expected.to_ascii_uppercase()]), URL, &keys).is_ok());
        // The same body pushed to another URL is another signature.
        assert!(verify_push(&request(&[expected]), "https://inbox.example.com/webhooks/shopee/", &keys).is_err());
    }

    #[test]
    fn a_duplicated_missing_or_malformed_header_is_refused() {
        let keys = [SecretString::from("k")];
        let good = push_authorization("k", URL, BODY.as_bytes());
        let refused = |values: &[&str]| verify_push(&request(values), URL, &keys).unwrap_err();
        assert!(refused(&[&good, &good]).message().contains("more than once"));
        assert!(refused(&[]).message().contains("missing"));
        assert!(refused(&["Bearer abc"]).message().contains("hex"));
        assert!(refused(&[&good[..62]]).message().contains("hex"));
        assert_eq!(refused(&[&good.replace('a', "b")]).kind(), ErrorKind::SignatureInvalid);
    }

    #[test]
    fn either_key_verifies_while_resetting() {
        let keys = [SecretString::from("old"), SecretString::from("new")];
        for key in ["old", "new"] {
            let value = push_authorization(key, URL, BODY.as_bytes());
            assert!(verify_push(&request(&[&value]), URL, &keys).is_ok());
        }
        let other = push_authorization("other", URL, BODY.as_bytes());
        assert!(verify_push(&request(&[&other]), URL, &keys).is_err());
    }
}
