//! The one error type of unibox: a kind that says what went wrong, a retry hint that says
//! whether trying again can help, and context that says where.

use std::borrow::Cow;
use std::fmt;
use std::time::Duration;

/// A specialized `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, as a category a caller can branch on.
///
/// Adapters map every platform error into one of these kinds through a single table
/// (see `docs/writing-a-channel.md`); the platform's own payload stays available as the
/// error's [`source`](std::error::Error::source).
///
/// ```
/// use unibox_core::{Error, ErrorKind};
/// let err = Error::new(ErrorKind::NotFound, "conversation not found");
/// assert_eq!(err.kind(), ErrorKind::NotFound);
/// assert_eq!(err.kind().http_status(), 404);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// An argument is invalid: an empty id, a limit out of range, content the model rejects.
    InvalidInput,
    /// A webhook body is larger than the configured limit.
    PayloadTooLarge,
    /// A webhook signature is missing, malformed, expired, replayed or does not match.
    SignatureInvalid,
    /// The request was authentic but its payload could not be understood.
    MalformedPayload,
    /// The thing does not exist, or belongs to another tenant (the two are indistinguishable).
    NotFound,
    /// The policy denied the action; the message names the missing permission.
    PermissionDenied,
    /// The operation conflicts with the current state (for example a duplicate id).
    Conflict,
    /// The channel cannot do this (a content kind or feature it lacks).
    Unsupported,
    /// The platform rejected the channel account's access token: the account must be
    /// reauthorized. This is the server's problem with its upstream (HTTP 502), not the
    /// caller's authentication; see [`ErrorKind::Unauthenticated`] for that.
    TokenInvalid,
    /// The caller's own credential (a session token) is unknown, ended or expired: sign in again.
    Unauthenticated,
    /// The platform (or unibox itself) is throttling; see [`Error::retry_after`].
    RateLimited,
    /// The platform's messaging window is closed for this conversation.
    MessagingWindowClosed,
    /// The recipient cannot receive messages (blocked the account, left, unknown number).
    RecipientUnavailable,
    /// The platform failed in a way that may pass (5xx, connection refused).
    PlatformUnavailable,
    /// The platform refused the request for a reason that will not pass by retrying.
    PlatformRejected,
    /// A send may or may not have reached the platform (timeout after the request was sent).
    /// Check before resending: retrying blindly could deliver the message twice.
    DeliveryUnknown,
    /// The tenant's message credits cannot pay for this (see
    /// [`CreditPolicy`](crate::metering::CreditPolicy)); nothing was recorded. Buy credits, then retry.
    CreditsExhausted,
    /// The storage backend failed.
    Storage,
    /// The storage has no room for the write: its disk is full, or a store refuses new data
    /// while the free space is under the reserve it keeps to finish what it already accepted.
    /// Temporary: retry once space is freed (a webhook answers `503` with `Retry-After`).
    ///
    /// ```
    /// use unibox_core::{Error, ErrorKind};
    /// let err = Error::new(ErrorKind::StorageFull, "the disk is full");
    /// assert_eq!(err.kind().http_status(), 503);
    /// assert!(err.is_temporary());
    /// ```
    StorageFull,
    /// The SDK was configured inconsistently (for example an account names an unknown channel).
    Configuration,
    /// Anything else; a bug report is welcome.
    Unexpected,
}

impl ErrorKind {
    /// A stable, snake_case name for logs and metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::PayloadTooLarge => "payload_too_large",
            ErrorKind::SignatureInvalid => "signature_invalid",
            ErrorKind::MalformedPayload => "malformed_payload",
            ErrorKind::NotFound => "not_found",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::TokenInvalid => "token_invalid",
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::MessagingWindowClosed => "messaging_window_closed",
            ErrorKind::RecipientUnavailable => "recipient_unavailable",
            ErrorKind::PlatformUnavailable => "platform_unavailable",
            ErrorKind::PlatformRejected => "platform_rejected",
            ErrorKind::DeliveryUnknown => "delivery_unknown",
            ErrorKind::CreditsExhausted => "credits_exhausted",
            ErrorKind::Storage => "storage",
            ErrorKind::StorageFull => "storage_full",
            ErrorKind::Configuration => "configuration",
            ErrorKind::Unexpected => "unexpected",
        }
    }

    /// The HTTP status a webhook endpoint answers with for this kind.
    ///
    /// ```
    /// use unibox_core::ErrorKind;
    /// assert_eq!(ErrorKind::SignatureInvalid.http_status(), 401);
    /// assert_eq!(ErrorKind::PayloadTooLarge.http_status(), 413);
    /// // The platform refused the server's token: a gateway problem, not the caller's 401.
    /// assert_eq!(ErrorKind::TokenInvalid.http_status(), 502);
    /// ```
    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::InvalidInput | ErrorKind::MalformedPayload => 400,
            // Only the caller's own credential is a 401. A platform refusing the channel's token
            // is a failure of this server towards its upstream: answering 401 would tell the
            // caller to re-authenticate when the account needs reauthorization instead.
            ErrorKind::SignatureInvalid | ErrorKind::Unauthenticated => 401,
            ErrorKind::PermissionDenied => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::CreditsExhausted => 402,
            ErrorKind::Conflict => 409,
            ErrorKind::PayloadTooLarge => 413,
            ErrorKind::Unsupported | ErrorKind::MessagingWindowClosed => 422,
            ErrorKind::RateLimited => 429,
            ErrorKind::TokenInvalid | ErrorKind::RecipientUnavailable | ErrorKind::PlatformRejected => 502,
            ErrorKind::PlatformUnavailable
            | ErrorKind::Storage
            | ErrorKind::StorageFull
            | ErrorKind::DeliveryUnknown => 503,
            ErrorKind::Configuration | ErrorKind::Unexpected => 500,
        }
    }

    fn default_retry(self) -> Retry {
        match self {
            ErrorKind::RateLimited | ErrorKind::PlatformUnavailable | ErrorKind::Storage | ErrorKind::StorageFull => {
                Retry::Temporary { after: None }
            }
            _ => Retry::Permanent,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether trying the same operation again can succeed.
///
/// ```
/// use std::time::Duration;
/// use unibox_core::{Error, ErrorKind, Retry};
/// let err = Error::new(ErrorKind::RateLimited, "slow down").with_retry_after(Duration::from_secs(3));
/// assert_eq!(err.retry(), Retry::Temporary { after: Some(Duration::from_secs(3)) });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// Retrying the same request will fail the same way.
    Permanent,
    /// Retrying may succeed, after the given delay when the server named one.
    Temporary {
        /// The server's requested delay (`Retry-After`, Telegram's `retry_after`, ...).
        after: Option<Duration>,
    },
    /// It was temporary, but retries were exhausted: do not retry automatically.
    Persistent,
}

/// The context key of the platform's own error code.
const PLATFORM_CODE: &str = "code";

/// The error of every unibox operation.
///
/// It never contains a secret: tokens, signatures and keys are kept out of messages and
/// context by construction (they are `secrecy` types that cannot be formatted).
///
/// ```
/// use unibox_core::{Error, ErrorKind};
/// let err = Error::new(ErrorKind::SignatureInvalid, "no signature matched")
///     .with_operation("webhook.verify")
///     .with_context("channel", "acme-api");
/// assert_eq!(
///     err.to_string(),
///     "no signature matched (signature_invalid at webhook.verify, channel: acme-api)"
/// );
/// ```
pub struct Error {
    kind: ErrorKind,
    message: Cow<'static, str>,
    retry: Retry,
    operation: &'static str,
    context: Vec<(&'static str, String)>,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// Creates an error of `kind` with a human-readable message saying what to do.
    pub fn new(kind: ErrorKind, message: impl Into<Cow<'static, str>>) -> Self {
        Error {
            kind,
            message: message.into(),
            retry: kind.default_retry(),
            operation: "",
            context: Vec::new(),
            source: None,
        }
    }

    /// Names the operation that failed (`"hub.send"`, `"sqlite.ingest"`).
    pub fn with_operation(mut self, operation: &'static str) -> Self {
        self.operation = operation;
        self
    }

    /// Records the platform's own error code (Graph `131047`, ...), so programs can branch on
    /// it beside the kind; shown as `code: ...` in the message.
    ///
    /// ```
    /// use unibox_core::{Error, ErrorKind};
    /// let err = Error::new(ErrorKind::MessagingWindowClosed, "send a template").with_platform_code(131047);
    /// assert_eq!(err.platform_code(), Some("131047"));
    /// assert_eq!(err.to_string(), "send a template (messaging_window_closed, code: 131047)");
    /// ```
    pub fn with_platform_code(self, code: impl fmt::Display) -> Self {
        // Kept as the `code` context pair: the error stays small, and it reads like any context.
        self.with_context(PLATFORM_CODE, code)
    }

    /// The platform's own error code, when the platform gave one.
    pub fn platform_code(&self) -> Option<&str> {
        self.context.iter().find(|(key, _)| *key == PLATFORM_CODE).map(|(_, code)| code.as_str())
    }

    /// Adds a non-secret key/value pair of context.
    pub fn with_context(mut self, key: &'static str, value: impl fmt::Display) -> Self {
        self.context.push((key, value.to_string()));
        self
    }

    /// Attaches the underlying cause.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// Marks the error as temporary (retrying may help).
    pub fn temporary(mut self) -> Self {
        self.retry = Retry::Temporary { after: None };
        self
    }

    /// Marks the error as permanent (never retry).
    pub fn permanent(mut self) -> Self {
        self.retry = Retry::Permanent;
        self
    }

    /// Marks a temporary error whose retries ran out.
    pub fn persistent(mut self) -> Self {
        self.retry = Retry::Persistent;
        self
    }

    /// Marks the error as temporary with the server's requested delay.
    pub fn with_retry_after(mut self, after: std::time::Duration) -> Self {
        self.retry = Retry::Temporary { after: Some(after) };
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The human-readable message, without context.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether and when a retry can help.
    pub fn retry(&self) -> Retry {
        self.retry
    }

    /// True when retrying may succeed.
    pub fn is_temporary(&self) -> bool {
        matches!(self.retry, Retry::Temporary { .. })
    }

    /// The server's requested delay before a retry, when it named one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self.retry {
            Retry::Temporary { after } => after,
            _ => None,
        }
    }

    /// The operation that failed, or `""`.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The context pairs.
    pub fn context(&self) -> &[(&'static str, String)] {
        &self.context
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}", self.message, self.kind)?;
        if !self.operation.is_empty() {
            write!(f, " at {}", self.operation)?;
        }
        for (key, value) in &self.context {
            write!(f, ", {key}: {value}")?;
        }
        if let Some(after) = self.retry_after() {
            write!(f, ", retry after {}ms", after.as_millis())?;
        }
        f.write_str(")")?;
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("retry", &self.retry)
            .field("operation", &self.operation)
            .field("context", &self.context)
            .field("source", &self.source)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_ref().map(|s| s.as_ref() as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limited_is_temporary_by_default_and_carries_the_delay() {
        let err = Error::new(ErrorKind::RateLimited, "too many requests");
        assert!(err.is_temporary());
        let err = err.with_retry_after(Duration::from_millis(1500));
        assert_eq!(err.retry_after(), Some(Duration::from_millis(1500)));
        assert!(err.to_string().contains("retry after 1500ms"));
    }

    #[test]
    fn a_channel_token_failure_is_the_server_s_problem_not_the_caller_s_authentication() {
        // The caller of an endpoint authenticated fine; it is the platform that refused the
        // server's own token, so the answer is a gateway failure, never 401.
        assert_eq!(ErrorKind::TokenInvalid.http_status(), 502);
        assert_eq!(ErrorKind::SignatureInvalid.http_status(), 401);
        assert_eq!(ErrorKind::Unauthenticated.http_status(), 401);
    }

    #[test]
    fn source_is_chained_and_displayed() {
        let io = std::io::Error::other("disk full");
        let err = Error::new(ErrorKind::Storage, "could not commit").with_source(io);
        assert!(std::error::Error::source(&err).is_some());
        assert!(err.to_string().ends_with(": disk full"));
    }
}
