//! The `X-Twilio-Signature` check: Base64 of HMAC-SHA1, keyed with the Auth Token, over the
//! public URL Twilio called followed by every POST parameter's name and value, sorted by name
//! (and by value for a repeated name); compared in constant time.
//!
//! - The URL's scheme, host, port and path come from the configuration, never from the
//!   request's `Host` header; the query string is the one the request arrived with. Like
//!   Twilio's own validators, the URL is tried without its port (`https://host/path`) and with
//!   it (`https://host:443/path`).
//! - A JSON body is signed differently: Twilio adds `bodySHA256=<hex SHA-256 of the body>` to
//!   the URL's query and signs the URL alone; the body must then hash to that value.
//! - Every parameter received is signed, including ones Twilio adds without notice.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};
use unibox_core::channel::{SignatureProof, Verified, WebhookRequest, signature};
use unibox_core::{Error, ErrorKind, Result};

use crate::TwilioConfig;
use crate::form::Form;

/// The header Twilio signs webhooks in (HTTP header names are case-insensitive).
pub const SIGNATURE_HEADER: &str = "x-twilio-signature";

/// The query parameter carrying the SHA-256 of a JSON body.
const BODY_HASH_PARAMETER: &str = "bodySHA256";

/// An HMAC-SHA1 tag is 20 bytes.
const TAG_LENGTH: usize = 20;

fn invalid(why: &'static str) -> Error {
    Error::new(ErrorKind::SignatureInvalid, why).with_operation("twilio.verify")
}

/// The `X-Twilio-Signature` Twilio sends when it posts the form `form_body` to `url` (the full
/// URL it calls, query included), signed with `auth_token`: for tests, fake platforms and load
/// generators. For a JSON body, sign [`json_webhook_url`] with an empty form.
///
/// ```
/// // Twilio's own validator test vector (twilio-python tests/unit/test_request_validator.py).
/// let header = unibox_channel_twilio::signature_header(
///     "12345",
///     "https://mycompany.com/myapp.php?foo=1&bar=2",
///     b"CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212",
/// );
/// assert_eq!(header, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
/// ```
pub fn signature_header(auth_token: &str, url: &str, form_body: &[u8]) -> String {
    let form = Form::parse(form_body);
    let mut parts: Vec<&[u8]> = Vec::with_capacity(1 + 2 * form.len());
    parts.push(url.as_bytes());
    for (name, value) in form.pairs() {
        parts.push(name.as_bytes());
        parts.push(value.as_bytes());
    }
    STANDARD.encode(signature::hmac_sha1(auth_token.as_bytes(), &parts))
}

/// The URL Twilio calls with a JSON `body`: `url` with `bodySHA256=<hex SHA-256 of the body>`
/// added to its query.
///
/// ```
/// use unibox_channel_twilio::{json_webhook_url, signature_header};
/// let body = br#"{"property": "value", "boolean": true}"#;
/// let url = json_webhook_url("https://mycompany.com/myapp.php?foo=1&bar=2", body);
/// assert!(url.ends_with("&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"));
/// assert_eq!(signature_header("12345", &url, b""), "a9nBmqA0ju/hNViExpshrM61xv4=");
/// ```
pub fn json_webhook_url(url: &str, body: &[u8]) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    let hash = hex_sha256(body);
    let hash = std::str::from_utf8(&hash).unwrap_or_default();
    format!("{url}{separator}{BODY_HASH_PARAMETER}={hash}")
}

/// Lowercase hex of the SHA-256 of `bytes`.
fn hex_sha256(bytes: &[u8]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(bytes);
    let mut hex = [0u8; 64];
    for (i, byte) in digest.iter().enumerate() {
        hex[2 * i] = DIGITS[usize::from(byte >> 4)];
        hex[2 * i + 1] = DIGITS[usize::from(byte & 0x0f)];
    }
    hex
}

/// The signature the request carries: exactly one header, Base64 of 20 bytes.
fn signature_tag(request: &WebhookRequest) -> Result<[u8; TAG_LENGTH]> {
    let mut headers = request.headers.get_all(SIGNATURE_HEADER).iter();
    let header = headers.next().ok_or_else(|| invalid("the X-Twilio-Signature header is missing"))?;
    if headers.next().is_some() {
        return Err(invalid("the X-Twilio-Signature header is repeated"));
    }
    let text = header.to_str().map_err(|_| invalid("the X-Twilio-Signature header is not ASCII"))?;
    let decoded = STANDARD.decode(text.trim()).map_err(|_| invalid("the X-Twilio-Signature header is not Base64"))?;
    decoded.try_into().map_err(|_| invalid("the X-Twilio-Signature header is not an HMAC-SHA1 (20 bytes)"))
}

/// Whether the request carries a JSON body signed through `bodySHA256`, rather than form
/// parameters.
pub(crate) fn has_json_body(request: &WebhookRequest) -> bool {
    request.url.query().is_some() && request.url.query_pairs().any(|(name, _)| name == BODY_HASH_PARAMETER)
}

/// The `bodySHA256` of the request's query, if there is one; a repeated one is refused.
fn body_hash(request: &WebhookRequest) -> Result<Option<String>> {
    let mut hashes = request.url.query_pairs().filter(|(name, _)| name == BODY_HASH_PARAMETER);
    let first = hashes.next().map(|(_, value)| value.into_owned());
    if hashes.next().is_some() {
        return Err(invalid("the bodySHA256 query parameter is repeated"));
    }
    Ok(first)
}

/// Verifies `request` against each configured URL (without and with its port) and each Auth
/// Token; returns the decoded form parameters too (none for a JSON body), for reading events.
pub(crate) fn verify_signature<'r>(
    request: &'r WebhookRequest,
    config: &TwilioConfig,
) -> Result<(Verified<'r>, Option<Form<'r>>)> {
    let tag = signature_tag(request)?;
    let body_hash = body_hash(request)?;
    // A JSON body is not part of the signed string: its hash in the URL is.
    let form = if body_hash.is_some() { Form::default() } else { Form::parse(&request.body) };
    let query = request.url.query();
    let mut parts: Vec<&[u8]> = Vec::with_capacity(4 + 2 * form.len());
    for url in &config.signed_urls {
        parts.clear();
        parts.extend([url.origin_without_port.as_bytes(), url.path.as_bytes()]);
        if let Some(query) = query {
            parts.extend([b"?".as_slice(), query.as_bytes()]);
        }
        for (name, value) in form.pairs() {
            parts.extend([name.as_bytes(), value.as_bytes()]);
        }
        for origin in [&url.origin_without_port, &url.origin_with_port] {
            parts[0] = origin.as_bytes();
            for token in &config.auth_tokens {
                if let Ok(proof) = signature::verify_hmac_sha1(token.expose_secret().as_bytes(), &parts, &tag) {
                    let proof = match &body_hash {
                        Some(expected) => body_matches(request, expected)?,
                        None => proof,
                    };
                    let form = body_hash.is_none().then_some(form);
                    return Ok((Verified::new(request, proof), form));
                }
            }
        }
    }
    Err(invalid("the X-Twilio-Signature does not match the Auth Token and the configured webhook URL"))
}

/// The body of a JSON webhook hashes to the signed `bodySHA256` (compared in constant time).
fn body_matches(request: &WebhookRequest, expected: &str) -> Result<SignatureProof> {
    signature::secrets_match(&hex_sha256(&request.body), expected.as_bytes())
        .map_err(|_| invalid("the body does not hash to the signed bodySHA256"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "12345";
    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
    const PARAMS: &[u8] =
        b"CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212";

    fn config(webhook_url: &str) -> TwilioConfig {
        TwilioConfig::builder()
            .account_sid("AC3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c")
            .auth_token(TOKEN)
            .webhook_url(webhook_url)
            .build()
            .unwrap()
    }

    fn request(url: &str, body: &'static [u8], signature: &str) -> WebhookRequest {
        WebhookRequest::post(url.parse().unwrap(), body).with_header("X-Twilio-Signature", signature)
    }

    #[test]
    fn the_signed_url_comes_from_the_configuration_not_the_request() {
        // The request reached the server through a proxy, as http://10.0.0.7:8080.
        let proxied = request("http://10.0.0.7:8080/myapp.php?foo=1&bar=2", PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        assert!(verify_signature(&proxied, &config("https://mycompany.com/myapp.php")).is_ok());
        assert!(verify_signature(&proxied, &config("https://other.example.com/myapp.php")).is_err());
    }

    #[test]
    fn a_repeated_or_malformed_header_is_refused() {
        let twice = request(URL, PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")
            .with_header("X-Twilio-Signature", "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        let refused = verify_signature(&twice, &config(URL)).unwrap_err();
        assert!(refused.message().contains("repeated"));
        for bad in ["", "not base64!", "RSOYDt4T1cUTdK1PDd93/Q==", "RSOYDt4T1cUTdK1PDd93/VVr8B8=AAAA"] {
            let request = request(URL, PARAMS, bad);
            assert_eq!(verify_signature(&request, &config(URL)).unwrap_err().kind(), ErrorKind::SignatureInvalid);
        }
    }

    #[test]
    fn a_json_body_must_hash_to_the_signed_value() {
        let body: &'static [u8] = br#"{"property": "value", "boolean": true}"#;
        let url = json_webhook_url(URL, body);
        let good = request(&url, body, "a9nBmqA0ju/hNViExpshrM61xv4=");
        assert!(verify_signature(&good, &config(URL)).is_ok());
        let changed = request(&url, br#"{"property": "value", "boolean": false}"#, "a9nBmqA0ju/hNViExpshrM61xv4=");
        assert!(verify_signature(&changed, &config(URL)).unwrap_err().message().contains("bodySHA256"));
        let twice = request(&format!("{url}&bodySHA256=00"), body, "a9nBmqA0ju/hNViExpshrM61xv4=");
        assert!(verify_signature(&twice, &config(URL)).unwrap_err().message().contains("repeated"));
    }
}
