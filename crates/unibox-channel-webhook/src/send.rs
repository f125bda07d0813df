//! Outbound messages: the JSON body, its Standard Webhooks signature, and the POST.

use bytes::Bytes;
use http::HeaderValue;
use http::header::{AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use secrecy::ExposeSecret;
use serde::Serialize;
use unibox_core::channel::SendRequest;
use unibox_core::http::HttpRequest;
use unibox_core::{Content, Error, ErrorKind, IdentityKind, Result};
use url::Url;

use crate::WebhookSecret;
use crate::verify::{HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP};

/// The body POSTed to the send URL. See the crate documentation for the format.
#[derive(Serialize)]
struct OutboundMessage<'a> {
    message_id: String,
    account: &'a str,
    recipient: Recipient<'a>,
    content: &'a Content,
    #[serde(skip_serializing_if = "Option::is_none")]
    reply_to: Option<&'a str>,
    human_agent: bool,
}

/// The recipient in the same shape as an inbound event's `customer`.
#[derive(Serialize)]
struct Recipient<'a> {
    kind: &'a IdentityKind,
    id: &'a str,
}

/// A URL without credentials, query or fragment, for logs and errors.
pub(crate) fn display_url(url: &Url) -> String {
    let mut shown = format!("{}://{}", url.scheme(), url.host_str().unwrap_or(""));
    if let Some(port) = url.port() {
        shown.push_str(&format!(":{port}"));
    }
    shown.push_str(url.path());
    shown
}

/// Builds the signed POST for one message. The webhook-id is the unibox message id, so a
/// retried send carries the same id and the receiver can drop the duplicate.
pub(crate) fn build_request(
    url: &Url,
    secrets: &[WebhookSecret],
    timestamp: i64,
    request: &SendRequest<'_>,
) -> Result<(HttpRequest, String)> {
    let webhook_id = request.message_id.to_string();
    let message = OutboundMessage {
        message_id: webhook_id.clone(),
        account: &request.account.platform_account_id,
        recipient: Recipient { kind: &request.recipient.kind, id: &request.recipient.value },
        content: request.content,
        reply_to: request.reply_to,
        human_agent: request.human_agent,
    };
    let body = serde_json::to_vec(&message).map_err(|e| {
        Error::new(ErrorKind::InvalidInput, format!("the message cannot be encoded as JSON: {e}"))
            .with_operation("webhook.send")
    })?;
    let signatures: Vec<String> = secrets.iter().map(|secret| secret.sign(&webhook_id, timestamp, &body)).collect();

    let mut builder = http::Request::builder()
        .method(http::Method::POST)
        .uri(url.as_str())
        .header(CONTENT_TYPE, "application/json")
        .header(USER_AGENT, concat!("unibox-channel-webhook/", env!("CARGO_PKG_VERSION")))
        .header(HEADER_ID, webhook_id.as_str())
        .header(HEADER_TIMESTAMP, timestamp.to_string())
        .header(HEADER_SIGNATURE, signatures.join(" "));
    if let Some(token) = request.access_token {
        let mut value = HeaderValue::try_from(format!("Bearer {}", token.expose_secret())).map_err(|_| {
            Error::new(ErrorKind::Configuration, "the account's access token is not a valid HTTP header value")
                .with_operation("webhook.send")
        })?;
        value.set_sensitive(true);
        builder = builder.header(AUTHORIZATION, value);
    }
    let http_request = builder.body(Bytes::from(body)).map_err(|_| {
        Error::new(ErrorKind::Configuration, "the send URL cannot be used for an HTTP request")
            .with_operation("webhook.send")
            .with_context("url", display_url(url))
    })?;
    Ok((http_request, webhook_id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displayed_urls_drop_credentials_and_query() {
        let url: Url = "https://user:pw@crm.example.com:8443/hooks/out?token=abc#x".parse().unwrap();
        assert_eq!(display_url(&url), "https://crm.example.com:8443/hooks/out");
    }
}
