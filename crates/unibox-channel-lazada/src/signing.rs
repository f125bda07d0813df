//! Lazada's API request signature (LazOP): the API path, then every parameter but `sign`
//! sorted by name as `key1value1key2value2…`, then the raw body if there is one;
//! HMAC-SHA256 keyed with the app secret, written as UPPERCASE hex.

use unibox_channel_marketplace::signing::{encode_hex_upper, sorted_concatenation};
use unibox_core::channel::signature;

/// The string Lazada signs for a call to `api_path` (`/order/get`) with `parameters` (system
/// and business parameters; `sign` and empty values are left out) and an optional raw body.
///
/// ```
/// // The official example (Lazada Open Platform, "HTTP request sample").
/// let params = [("app_key", "123456"), ("timestamp", "1517820392000"), ("sign_method", "sha256"), ("access_token", "test"), ("order_id", "1234")];
/// assert_eq!(
///     unibox_channel_lazada::signed_string("/order/get", &params, None),
///     "/order/getaccess_tokentestapp_key123456order_id1234sign_methodsha256timestamp1517820392000",
/// );
/// ```
pub fn signed_string(api_path: &str, parameters: &[(&str, &str)], body: Option<&[u8]>) -> String {
    let mut signed = String::from(api_path);
    signed.push_str(&sorted_concatenation(parameters, &["sign"]));
    if let Some(body) = body {
        signed.push_str(&String::from_utf8_lossy(body));
    }
    signed
}

/// The `sign` parameter of a call: UPPERCASE hex HMAC-SHA256 of [`signed_string`] with the
/// app secret.
///
/// ```
/// // The official vector: app secret `helloworld`.
/// let params = [("app_key", "123456"), ("timestamp", "1517820392000"), ("sign_method", "sha256"), ("access_token", "test"), ("order_id", "1234")];
/// assert_eq!(
///     unibox_channel_lazada::request_signature("helloworld", "/order/get", &params, None),
///     "4190D32361CFB9581350222F345CB77F3B19F0E31D162316848A2C1FFD5FAB4A",
/// );
/// ```
pub fn request_signature(app_secret: &str, api_path: &str, parameters: &[(&str, &str)], body: Option<&[u8]>) -> String {
    let signed = signed_string(api_path, parameters, body);
    encode_hex_upper(&signature::hmac_sha256(app_secret.as_bytes(), &[signed.as_bytes()]))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARAMS: [(&str, &str); 5] = [
        ("app_key", "123456"),
        ("timestamp", "1517820392000"),
        ("sign_method", "sha256"),
        ("access_token", "test"),
        ("order_id", "1234"),
    ];

    #[test]
    fn the_official_vector_signs_in_uppercase_hex() {
        let sign = request_signature("helloworld", "/order/get", &PARAMS, None);
        assert_eq!(sign, "4190D32361CFB9581350222F345CB77F3B19F0E31D162316848A2C1FFD5FAB4A");
        // Parameter order does not matter; a `sign` parameter is never signed.
        let mut shuffled = PARAMS.to_vec();
        shuffled.reverse();
        shuffled.push(("sign", "4190D323"));
        assert_eq!(request_signature("helloworld", "/order/get", &shuffled, None), sign);
    }

    #[test]
    fn the_path_the_secret_and_every_value_count() {
        let sign = request_signature("helloworld", "/order/get", &PARAMS, None);
        assert_ne!(request_signature("helloworld", "/orders/get", &PARAMS, None), sign);
        assert_ne!(request_signature("helloworld!", "/order/get", &PARAMS, None), sign);
        let mut changed = PARAMS;
        changed[4] = ("order_id", "1235");
        assert_ne!(request_signature("helloworld", "/order/get", &changed, None), sign);
        assert_ne!(request_signature("helloworld", "/order/get", &PARAMS, Some(b"{}")), sign);
    }
}
