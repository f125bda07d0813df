//! The unibox-testkit channel conformance suite, run against the LINE channel, with LINE's API
//! simulated on a loopback fake server for the send tests.

mod common;

use std::sync::Arc;

use async_trait::async_trait;
use secrecy::SecretString;
use unibox_channel_line::{LineChannel, TokenIssuance};
use unibox_core::Channel;
use unibox_core::channel::WebhookRequest;
use unibox_testkit::channel::{ChannelHarness, SendTarget, run_all};
use unibox_testkit::http::FakeServer;

use common::{ACCESS_TOKEN, CHANNEL_SECRET, FakeLine, OTHER_SECRET};

struct LineHarness {
    channel: Arc<LineChannel>,
}

#[async_trait]
impl ChannelHarness for LineHarness {
    fn channel(&self) -> Arc<dyn Channel> {
        self.channel.clone()
    }

    fn signed_request(&self, body: &[u8]) -> WebhookRequest {
        let mut request = common::signed_with(CHANNEL_SECRET, body);
        // Only the signature is part of verification.
        request.headers.remove("content-type");
        request
    }

    fn request_signed_with_other_secret(&self, body: &[u8]) -> WebhookRequest {
        common::signed_with(OTHER_SECRET, body)
    }

    fn sample_payloads(&self) -> Vec<Vec<u8>> {
        // The console's "Verify" delivery carries no event; every other fixture carries some.
        common::fixture_names().iter().filter(|name| *name != "verify").map(|name| common::fixture(name)).collect()
    }

    async fn send_target(&self, platform: &FakeServer) -> Option<SendTarget> {
        let line = FakeLine::default();
        platform.respond_with(move |request| line.answer(request));
        let account = common::account();
        let recipient = common::customer(&account);
        Some(SendTarget {
            channel: Arc::new(common::sending_channel(platform, TokenIssuance::LongLived, common::clock())),
            account,
            recipient,
            access_token: Some(SecretString::from(ACCESS_TOKEN)),
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_line_channel_passes_the_channel_conformance_suite() {
    run_all(&LineHarness { channel: Arc::new(common::channel()) }).await;
}
