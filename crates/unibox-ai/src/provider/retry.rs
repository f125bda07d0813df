//! One provider call with a total deadline per attempt, retried only where it is safe: the
//! request never left (no connection), or the provider said it did not process it (429 rate
//! limit, 529/503/500 overload) and named a delay we are willing to wait. A timeout after the
//! request left is not retried: the provider may have generated (and billed) the answer, and
//! neither API offers an idempotency key.

use std::time::Duration;

use http::HeaderMap;
use unibox_core::http::{HttpClient, HttpErrorKind, HttpRequest};
use unibox_core::{Error, ErrorKind, Result};

use super::ProviderConfig;

/// A failed response, as a provider's error table sees it.
pub(crate) struct Failure<'a> {
    pub(crate) status: u16,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
}

/// The provider's requested delay: `retry-after-ms`, else `retry-after` in (fractional) seconds.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
    if let Some(ms) =
        header("retry-after-ms").and_then(|v| v.parse::<f64>().ok()).filter(|v| v.is_finite() && *v >= 0.0)
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    header("retry-after")
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(Duration::from_secs_f64)
}

/// Sends the request `build` makes, until it succeeds, fails for good, or retries run out.
/// Returns the successful response's JSON body.
pub(crate) async fn call(
    http: &dyn HttpClient,
    config: &ProviderConfig,
    provider: &'static str,
    build: &(dyn Fn() -> Result<HttpRequest> + Send + Sync),
    classify: fn(&Failure<'_>) -> Error,
) -> Result<serde_json::Value> {
    let mut attempt: u32 = 0;
    loop {
        let request = build()?;
        let error = match tokio::time::timeout(config.timeout, http.execute(request)).await {
            Err(_) => {
                return Err(Error::new(
                    ErrorKind::PlatformUnavailable,
                    format!(
                        "{provider} did not answer within {} ms; not retried (it may have generated the answer)",
                        config.timeout.as_millis()
                    ),
                )
                .with_context("provider", provider));
            }
            Ok(Err(error)) => {
                let not_sent = error.was_not_sent() && error.kind() != HttpErrorKind::InvalidRequest;
                let mapped = Error::new(ErrorKind::PlatformUnavailable, format!("{provider} could not be reached"))
                    .with_context("provider", provider)
                    .with_source(error);
                if !not_sent {
                    return Err(mapped.permanent());
                }
                mapped
            }
            Ok(Ok(response)) if response.status().is_success() => {
                return serde_json::from_slice(response.body()).map_err(|e| {
                    Error::new(
                        ErrorKind::MalformedPayload,
                        format!("{provider} answered with JSON we cannot read: {e}"),
                    )
                    .with_context("provider", provider)
                });
            }
            Ok(Ok(response)) => {
                let failure =
                    Failure { status: response.status().as_u16(), headers: response.headers(), body: response.body() };
                classify(&failure).with_context("provider", provider).with_context("status", failure.status)
            }
        };
        if !error.is_temporary() || attempt >= config.max_retries {
            return Err(if error.is_temporary() { error.persistent() } else { error });
        }
        let delay = error.retry_after().unwrap_or_else(|| backoff(config.backoff, attempt));
        if delay > config.max_retry_delay {
            // Waiting that long would hold the customer's reply hostage; hand the delay back.
            return Err(error);
        }
        tracing::debug!(target: "unibox::ai", provider, attempt, delay_ms = delay.as_millis() as u64, "retrying the provider call");
        tokio::time::sleep(delay).await;
        attempt += 1;
    }
}

/// `base · 2^attempt`, at most 16 times the base.
fn backoff(base: Duration, attempt: u32) -> Duration {
    base.saturating_mul(1 << attempt.min(4))
}
