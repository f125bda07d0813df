//! The unibox-testkit channel conformance suite, run against the WhatsApp channel, with the
//! Graph API simulated on a loopback fake server for the send tests.

mod common;

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;

use async_trait::async_trait;
use secrecy::SecretString;
use unibox_channel_whatsapp::WhatsAppChannel;
use unibox_core::Channel;
use unibox_core::channel::WebhookRequest;
use unibox_testkit::channel::{ChannelHarness, SendTarget, run_all};
use unibox_testkit::http::FakeServer;

use common::{ACCESS_TOKEN, APP_SECRET, OTHER_SECRET};

struct WhatsAppHarness {
    channel: Arc<WhatsAppChannel>,
}

#[async_trait]
impl ChannelHarness for WhatsAppHarness {
    fn channel(&self) -> Arc<dyn Channel> {
        self.channel.clone()
    }

    fn signed_request(&self, body: &[u8]) -> WebhookRequest {
        let mut request = common::signed(APP_SECRET, body);
        // Only the signature is part of verification.
        request.headers.remove("content-type");
        request
    }

    fn request_signed_with_other_secret(&self, body: &[u8]) -> WebhookRequest {
        common::signed(OTHER_SECRET, body)
    }

    fn sample_payloads(&self) -> Vec<Vec<u8>> {
        common::fixture_names().iter().map(|name| common::fixture(name)).collect()
    }

    async fn send_target(&self, platform: &FakeServer) -> Option<SendTarget> {
        let counter = AtomicUsize::new(0);
        platform.respond_with(move |request| common::graph_messages_endpoint(&counter, request));
        let account = common::account();
        let recipient = common::customer(&account);
        Some(SendTarget {
            channel: Arc::new(common::channel_for(platform)),
            account,
            recipient,
            access_token: Some(SecretString::from(ACCESS_TOKEN)),
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_whatsapp_channel_passes_the_channel_conformance_suite() {
    run_all(&WhatsAppHarness { channel: Arc::new(common::channel()) }).await;
}
