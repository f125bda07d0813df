//! TikTok Shop's API request signature (Partner API, 202309 and later): the request path, then
//! the query parameters but `sign` and `access_token` sorted by name as `key1value1…`, then the
//! exact body bytes (unless multipart), wrapped as `app_secret + … + app_secret`;
//! HMAC-SHA256 keyed with the app secret, written as lowercase hex.

use unibox_channel_marketplace::signing::{encode_hex_lower, sorted_concatenation};
use unibox_core::channel::signature;

/// The `sign` query parameter of a call to `path` with `query` parameters and `body` (the exact
/// bytes sent; empty for a GET).
///
/// ```
/// // secret `abc000def111`, path `/authorization/202309/shops`, app_key 123456, timestamp 1234567890
/// // (the fact sheet's vector, computed from the official algorithm).
/// let sign = unibox_channel_tiktok_shop::request_signature(
///     "abc000def111",
///     "/authorization/202309/shops",
///     &[("app_key", "123456"), ("timestamp", "1234567890")],
///     b"",
/// );
/// assert_eq!(sign, "c8767e4fd7a1b48a0ce3fd23197f058159ce11b53f1ae1ad6d1ec931a1da5540");
/// ```
pub fn request_signature(app_secret: &str, path: &str, query: &[(&str, &str)], body: &[u8]) -> String {
    let parameters = sorted_concatenation(query, &["sign", "access_token"]);
    let secret = app_secret.as_bytes();
    let parts: [&[u8]; 5] = [secret, path.as_bytes(), parameters.as_bytes(), body, secret];
    encode_hex_lower(&signature::hmac_sha256(secret, &parts))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fact_sheet_vector() {
        let query = [("app_key", "123456"), ("timestamp", "1234567890")];
        let sign = request_signature("abc000def111", "/authorization/202309/shops", &query, b"");
        assert_eq!(sign, "c8767e4fd7a1b48a0ce3fd23197f058159ce11b53f1ae1ad6d1ec931a1da5540");
        // `sign` and `access_token` are never signed; the order of the parameters does not matter.
        let more = [("timestamp", "1234567890"), ("access_token", "ROW_x"), ("sign", "c8"), ("app_key", "123456")];
        assert_eq!(request_signature("abc000def111", "/authorization/202309/shops", &more, b""), sign);
    }

    #[test]
    fn the_body_is_signed_exactly_as_sent() {
        let query = [("app_key", "123456"), ("shop_cipher", "ROW_Gq1WTQAAAAA"), ("timestamp", "1732000000")];
        let path = "/customer_service/202309/conversations/710688832392260838/messages";
        let compact = request_signature("s", path, &query, br#"{"type":"TEXT","content":"{\"content\":\"hi\"}"}"#);
        let spaced = request_signature("s", path, &query, br#"{"type": "TEXT", "content": "{\"content\":\"hi\"}"}"#);
        assert_ne!(compact, spaced, "re-serialized JSON is another signature");
        assert_eq!(compact.len(), 64);
        assert!(compact.bytes().all(|b| !b.is_ascii_uppercase()));
    }
}
