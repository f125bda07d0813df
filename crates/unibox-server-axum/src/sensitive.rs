//! The request headers that carry signatures, tokens or credentials, and are therefore marked
//! sensitive before anything (tracing, `Debug`) can see them.

use http::HeaderName;

/// Headers whose values never reach traces or logs: marked sensitive, they print as
/// `Sensitive` in every `Debug` output (tower-http's `SetSensitiveRequestHeadersLayer`).
///
/// Signatures are not secrets in the cryptographic sense, but a logged signature with its body
/// is a replayable request, and Telegram's header is the shared secret itself.
///
/// ```
/// use unibox_server_axum::SENSITIVE_HEADERS;
/// assert!(SENSITIVE_HEADERS.iter().any(|h| h.as_str() == "x-hub-signature-256"));
/// assert!(SENSITIVE_HEADERS.iter().any(|h| h.as_str() == "x-telegram-bot-api-secret-token"));
/// ```
pub const SENSITIVE_HEADERS: [HeaderName; 13] = [
    http::header::AUTHORIZATION,
    http::header::PROXY_AUTHORIZATION,
    http::header::COOKIE,
    // Meta (Messenger, Instagram, WhatsApp): HMAC-SHA256 (and the legacy SHA1) of the body.
    HeaderName::from_static("x-hub-signature-256"),
    HeaderName::from_static("x-hub-signature"),
    // LINE: base64 HMAC-SHA256 of the body.
    HeaderName::from_static("x-line-signature"),
    // Standard Webhooks (the generic webhook channel) and its Svix spelling.
    HeaderName::from_static("webhook-signature"),
    HeaderName::from_static("svix-signature"),
    // Telegram: the secret token set with setWebhook, echoed verbatim.
    HeaderName::from_static("x-telegram-bot-api-secret-token"),
    // Twilio: HMAC-SHA1 of the URL and parameters.
    HeaderName::from_static("x-twilio-signature"),
    // Marketplaces sign in Authorization (above) or in these.
    HeaderName::from_static("x-signature"),
    HeaderName::from_static("x-api-key"),
    HeaderName::from_static("x-auth-token"),
];
