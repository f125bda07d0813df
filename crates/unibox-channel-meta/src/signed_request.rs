//! `signed_request`: how Meta signs data-deletion and deauthorization callbacks.
//!
//! `base64url(raw HMAC-SHA256(app secret, payload as received)) + "." + base64url(payload JSON)`,
//! both without padding.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use unibox_core::channel::signature;
use unibox_core::{Error, ErrorKind, Result, Timestamp};

use crate::AppSecret;

/// The longest `signed_request` accepted. Meta's are a few hundred bytes; the cap bounds the
/// work a hostile caller can cause.
pub const MAX_SIGNED_REQUEST_LENGTH: usize = 8 * 1024;

/// A verified `signed_request` payload.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct SignedRequest {
    /// The app-scoped id of the user (not a page- or Instagram-scoped id).
    pub user_id: String,
    /// When Meta issued it.
    pub issued_at: Option<Timestamp>,
    /// When the user's session expires, when present.
    pub expires: Option<Timestamp>,
    /// The whole payload, for fields this version does not read.
    pub payload: serde_json::Value,
}

#[derive(Deserialize)]
struct Payload {
    algorithm: String,
    #[serde(default)]
    issued_at: Option<i64>,
    #[serde(default)]
    expires: Option<i64>,
    #[serde(default, deserialize_with = "string_or_number")]
    user_id: Option<String>,
}

fn string_or_number<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Text(String),
        Number(u64),
    }
    Ok(Option::<Id>::deserialize(deserializer)?.map(|id| match id {
        Id::Text(text) => text,
        Id::Number(n) => n.to_string(),
    }))
}

fn invalid(message: &'static str) -> Error {
    Error::new(ErrorKind::SignatureInvalid, message).with_operation("meta.signed_request")
}

fn malformed(message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::MalformedPayload, message).with_operation("meta.signed_request")
}

/// Decodes unpadded (or padded) URL-safe base64.
fn decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()
}

/// Verifies and decodes a `signed_request` against any of `secrets`.
///
/// The signature is checked in constant time over the payload exactly as received, before
/// the payload is decoded; the algorithm must be `HMAC-SHA256` (any case) and `user_id` present.
/// A bad signature is `SignatureInvalid`; an authentic but unusable payload `MalformedPayload`.
///
/// ```
/// use unibox_channel_meta::{parse_signed_request, AppSecret};
/// // The fact sheet's computed vector.
/// let signed = "_HqJmYesSTB4H2KKeEfqDRA7N_6ZELiWGfBN9i152oQ.eyJhbGdvcml0aG0iOiJITUFDLVNIQTI1NiIsImV4cGlyZXMiOjE3MDAwMDM2MDAsImlzc3VlZF9hdCI6MTcwMDAwMDAwMCwidXNlcl9pZCI6IjEyMzQ1Njc4OTAifQ";
/// let request = parse_signed_request(signed, &[AppSecret::new("appsecret")]).unwrap();
/// assert_eq!(request.user_id, "1234567890");
/// assert_eq!(request.issued_at.unwrap().as_unix_seconds(), 1_700_000_000);
/// assert!(parse_signed_request(signed, &[AppSecret::new("another")]).is_err());
/// ```
pub fn parse_signed_request(signed_request: &str, secrets: &[AppSecret]) -> Result<SignedRequest> {
    if signed_request.len() > MAX_SIGNED_REQUEST_LENGTH {
        return Err(invalid("the signed_request is too long"));
    }
    let Some((encoded_signature, encoded_payload)) = signed_request.split_once('.') else {
        return Err(invalid("a signed_request is <signature>.<payload>"));
    };
    let Some(tag) = decode(encoded_signature) else {
        return Err(invalid("the signed_request signature is not base64url"));
    };
    if secrets.is_empty() {
        return Err(Error::new(ErrorKind::Configuration, "no app secret is configured to verify signed_request")
            .with_operation("meta.signed_request"));
    }
    let authentic = secrets
        .iter()
        .any(|secret| signature::verify_hmac_sha256(secret.key(), &[encoded_payload.as_bytes()], &tag).is_ok());
    if !authentic {
        return Err(invalid("the signed_request signature does not match the app secret"));
    }
    let bytes = decode(encoded_payload).ok_or_else(|| malformed("the signed_request payload is not base64url"))?;
    let payload: Payload = serde_json::from_slice(&bytes)
        .map_err(|e| malformed(format!("the signed_request payload is not the expected JSON: {e}")))?;
    if !payload.algorithm.eq_ignore_ascii_case("HMAC-SHA256") {
        return Err(malformed(format!("unsupported signed_request algorithm {:?}", payload.algorithm)));
    }
    let user_id =
        payload.user_id.filter(|id| !id.is_empty()).ok_or_else(|| malformed("the signed_request names no user_id"))?;
    let raw = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
    Ok(SignedRequest {
        user_id,
        issued_at: payload.issued_at.map(Timestamp::from_unix_seconds),
        expires: payload.expires.map(Timestamp::from_unix_seconds),
        payload: raw,
    })
}

/// Signs a payload the way Meta does, for tests and local tools.
///
/// ```
/// use unibox_channel_meta::{parse_signed_request, sign_request, AppSecret};
/// let secret = AppSecret::new("appsecret");
/// let signed = sign_request(&secret, br#"{"algorithm":"HMAC-SHA256","issued_at":1700000000,"user_id":"42"}"#);
/// assert_eq!(parse_signed_request(&signed, &[secret]).unwrap().user_id, "42");
/// ```
pub fn sign_request(secret: &AppSecret, payload_json: &[u8]) -> String {
    let payload = URL_SAFE_NO_PAD.encode(payload_json);
    let tag = signature::hmac_sha256(secret.key(), &[payload.as_bytes()]);
    format!("{}.{payload}", URL_SAFE_NO_PAD.encode(tag))
}
