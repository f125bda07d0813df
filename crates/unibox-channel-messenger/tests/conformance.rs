//! The unibox-testkit channel conformance suite, run against the Messenger channel, with a
//! fake Graph API on loopback for the send tests.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use secrecy::SecretString;
use unibox_core::channel::WebhookRequest;
use unibox_core::{Channel, ChannelAccount, ChannelKind, ContactIdentity, IdentityKind, Timestamp};
use unibox_testkit::channel::{ChannelHarness, SendTarget, run_all};
use unibox_testkit::http::{FakeServer, ScriptedResponse};

use common::{APP_SECRET, OTHER_SECRET, PAGE_ID, PAGE_TOKEN, PSID};

struct MessengerHarness {
    channel: Arc<unibox_channel_messenger::MessengerChannel>,
}

#[async_trait]
impl ChannelHarness for MessengerHarness {
    fn channel(&self) -> Arc<dyn Channel> {
        self.channel.clone()
    }

    fn signed_request(&self, body: &[u8]) -> WebhookRequest {
        common::signed_with(APP_SECRET, body)
    }

    fn request_signed_with_other_secret(&self, body: &[u8]) -> WebhookRequest {
        common::signed_with(OTHER_SECRET, body)
    }

    fn signature_headers(&self) -> Vec<http::HeaderName> {
        vec![http::HeaderName::from_static("x-hub-signature-256")]
    }

    fn sample_payloads(&self) -> Vec<Vec<u8>> {
        common::samples()
    }

    async fn send_target(&self, platform: &FakeServer) -> Option<SendTarget> {
        let counter = AtomicUsize::new(0);
        // Answers like the Send API: a new message id per accepted message.
        platform.respond_with(move |request| {
            let n = counter.fetch_add(1, Ordering::Relaxed) + 1;
            if request.path().ends_with("/messages") && request.header("authorization").is_some() {
                ScriptedResponse::json(
                    200,
                    &serde_json::json!({"recipient_id": PSID, "message_id": format!("m_out_{n}")}),
                )
            } else {
                ScriptedResponse::json(400, &serde_json::json!({"error": {"message": "bad request", "code": 100}}))
            }
        });
        let account = ChannelAccount::new(
            "acme".parse().unwrap(),
            "acme-messenger".parse().unwrap(),
            ChannelKind::MESSENGER,
            PAGE_ID,
            Timestamp::from_unix_seconds(1_732_000_000),
        );
        let recipient = ContactIdentity { account: account.id, kind: IdentityKind::PageScopedId, value: PSID.into() };
        Some(SendTarget {
            channel: Arc::new(common::sending_channel(platform.url())),
            account,
            recipient,
            access_token: Some(SecretString::from(PAGE_TOKEN)),
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_messenger_channel_passes_the_channel_conformance_suite() {
    run_all(&MessengerHarness { channel: Arc::new(common::channel()) }).await;
}
