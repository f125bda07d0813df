//! The sending half of the suite, run against a [`FakeServer`] standing in for the platform.

use unibox_core::channel::{SendReceipt, SendRequest};
use unibox_core::{Content, ContentKind, ErrorKind, MessageId, Result};

use super::{ChannelHarness, SendTarget, sample_content};
use crate::http::{FakeServer, ScriptedResponse};

async fn fake_platform() -> FakeServer {
    match FakeServer::start().await {
        Ok(server) => server,
        Err(error) => panic!("could not start the fake platform on 127.0.0.1: {error}"),
    }
}

async fn send(target: &SendTarget, content: &Content, message_id: MessageId) -> Result<SendReceipt> {
    let request = SendRequest::new(&target.account, &target.recipient, content, message_id)
        .with_access_token(target.access_token.as_ref())
        // A reply a minute after the customer wrote: inside every platform's messaging window.
        .with_since_customer_message(Some(std::time::Duration::from_secs(60)));
    target.channel.send(&request).await
}

/// Every content kind the channel declares in `capabilities.send` is sent: the fake platform
/// receives a request and the channel returns a receipt with a platform id.
pub async fn declared_content_kinds_send(harness: &dyn ChannelHarness) {
    let platform = fake_platform().await;
    let Some(target) = harness.send_target(&platform).await else { return };
    for kind in target.channel.capabilities().send.iter() {
        let Some(content) = sample_content(kind) else { continue };
        let before = platform.request_count();
        match send(&target, &content, MessageId::new()).await {
            Ok(receipt) => assert!(
                !receipt.platform_message_id.is_empty(),
                "sending {} returned an empty platform message id",
                kind.as_str()
            ),
            Err(error) => panic!("the channel declares it can send {} but failed: {error}", kind.as_str()),
        }
        assert!(platform.request_count() > before, "sending {} reached no platform endpoint", kind.as_str());
    }
}

/// When the channel declares a `max_text_length` and can send text, a text of exactly that
/// many characters (multi-byte ones included) is sent.
pub async fn text_at_the_length_limit_sends(harness: &dyn ChannelHarness) {
    let platform = fake_platform().await;
    let Some(target) = harness.send_target(&platform).await else { return };
    let capabilities = target.channel.capabilities();
    let (Some(limit), true) = (capabilities.max_text_length, capabilities.can_send(ContentKind::Text)) else {
        return;
    };
    // Thai characters are three bytes in UTF-8: a limit counted in bytes would refuse this.
    let text: String = "สวัสดีครับ order ok ".chars().cycle().take(limit).collect();
    if let Err(error) = send(&target, &Content::text(text), MessageId::new()).await {
        panic!("a text of exactly max_text_length ({limit}) characters was not sent: {error}");
    }
}

/// When the channel declares `idempotent_send`, sending the same message id twice returns
/// the same receipt (the harness's fake answers a repeated idempotency key as the platform
/// does).
pub async fn idempotent_resend_returns_the_same_receipt(harness: &dyn ChannelHarness) {
    let platform = fake_platform().await;
    let Some(target) = harness.send_target(&platform).await else { return };
    let capabilities = target.channel.capabilities();
    if !capabilities.idempotent_send {
        return;
    }
    let Some(kind) = capabilities.send.iter().find(|k| *k == ContentKind::Text).or(capabilities.send.iter().next())
    else {
        return;
    };
    let Some(content) = sample_content(kind) else { return };
    let message_id = MessageId::new();
    let first = match send(&target, &content, message_id).await {
        Ok(receipt) => receipt,
        Err(error) => panic!("the first send failed: {error}"),
    };
    let again = match send(&target, &content, message_id).await {
        Ok(receipt) => receipt,
        Err(error) => panic!("resending the same message id failed although idempotent_send is declared: {error}"),
    };
    assert_eq!(first.platform_message_id, again.platform_message_id, "a resend got another platform id");
    let other = match send(&target, &content, MessageId::new()).await {
        Ok(receipt) => receipt,
        Err(error) => panic!("a send with a new message id failed: {error}"),
    };
    assert_ne!(first.platform_message_id, other.platform_message_id, "two different messages got the same platform id");
}

/// Transport failures and server errors map to the kinds the hub's retry logic relies on:
///
/// - the connection closes after the request was sent: `DeliveryUnknown` (it may have been
///   delivered, so it must not look like a plain failure or a success);
/// - the platform answers `503`: a temporary error;
/// - nothing listens at the platform's address: `PlatformUnavailable`, temporary (nothing was
///   sent, so a retry is safe).
pub async fn send_failures_map_to_the_right_kinds(harness: &dyn ChannelHarness) {
    let platform = fake_platform().await;
    let Some(target) = harness.send_target(&platform).await else { return };
    let Some(kind) = target.channel.capabilities().send.iter().next() else { return };
    let Some(content) = sample_content(kind) else { return };

    platform.enqueue(ScriptedResponse::hang_up());
    match send(&target, &content, MessageId::new()).await {
        Ok(_) => panic!("a send whose connection closed without an answer reported success"),
        Err(error) => assert_eq!(
            error.kind(),
            ErrorKind::DeliveryUnknown,
            "a connection closed after the request was sent must be DeliveryUnknown: {error}"
        ),
    }

    platform.enqueue(ScriptedResponse::text(503, "upstream maintenance"));
    match send(&target, &content, MessageId::new()).await {
        Ok(_) => panic!("a 503 answer reported success"),
        Err(error) => assert!(error.is_temporary(), "a 503 answer must be a temporary error: {error}"),
    }

    // A fresh target whose fake platform is shut down before anything is sent, so no
    // pooled connection to it exists.
    let gone = fake_platform().await;
    let Some(closed) = harness.send_target(&gone).await else { return };
    gone.shutdown().await;
    match send(&closed, &content, MessageId::new()).await {
        Ok(_) => panic!("a send to an address where nothing listens reported success"),
        Err(error) => {
            assert_eq!(
                error.kind(),
                ErrorKind::PlatformUnavailable,
                "an unreachable platform must be PlatformUnavailable: {error}"
            );
            assert!(error.is_temporary(), "an unreachable platform must be a temporary error: {error}");
        }
    }
}
