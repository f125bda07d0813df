//! The unibox-testkit channel conformance suite, run against the Instagram channel.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use secrecy::SecretString;
use unibox_core::channel::WebhookRequest;
use unibox_core::{Channel, ChannelAccount, ChannelKind, ContactIdentity, IdentityKind, Timestamp};
use unibox_testkit::channel::{ChannelHarness, SendTarget, run_all};
use unibox_testkit::http::{FakeServer, ScriptedResponse};

use common::{IG_APP_SECRET, IG_ID, IG_TOKEN, IGSID, OTHER_SECRET};

struct InstagramHarness {
    channel: Arc<unibox_channel_instagram::InstagramChannel>,
}

#[async_trait]
impl ChannelHarness for InstagramHarness {
    fn channel(&self) -> Arc<dyn Channel> {
        self.channel.clone()
    }

    fn signed_request(&self, body: &[u8]) -> WebhookRequest {
        common::signed_with(IG_APP_SECRET, body)
    }

    fn request_signed_with_other_secret(&self, body: &[u8]) -> WebhookRequest {
        common::signed_with(OTHER_SECRET, body)
    }

    fn sample_payloads(&self) -> Vec<Vec<u8>> {
        common::samples()
    }

    async fn send_target(&self, platform: &FakeServer) -> Option<SendTarget> {
        let counter = AtomicUsize::new(0);
        platform.respond_with(move |_| {
            let n = counter.fetch_add(1, Ordering::Relaxed) + 1;
            ScriptedResponse::json(
                200,
                &serde_json::json!({"recipient_id": IGSID, "message_id": format!("ig_out_{n}")}),
            )
        });
        let account = ChannelAccount::new(
            "acme".parse().unwrap(),
            "acme-instagram".parse().unwrap(),
            ChannelKind::INSTAGRAM,
            IG_ID,
            Timestamp::from_unix_seconds(common::NOW),
        );
        let recipient =
            ContactIdentity { account: account.id, kind: IdentityKind::InstagramScopedId, value: IGSID.into() };
        Some(SendTarget {
            channel: Arc::new(common::sending_channel(platform.url())),
            account,
            recipient,
            access_token: Some(SecretString::from(IG_TOKEN)),
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_instagram_channel_passes_the_channel_conformance_suite() {
    run_all(&InstagramHarness { channel: Arc::new(common::channel()) }).await;
}
