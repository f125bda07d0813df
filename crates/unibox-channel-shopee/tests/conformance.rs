//! The unibox-testkit channel conformance suite, run against the Shopee channel, with Shopee's
//! API simulated on a loopback fake server for the send tests.

mod common;

use std::sync::Arc;

use async_trait::async_trait;
use secrecy::SecretString;
use unibox_channel_shopee::ShopeeChannel;
use unibox_core::Channel;
use unibox_core::channel::WebhookRequest;
use unibox_testkit::channel::{ChannelHarness, SendTarget, run_all};
use unibox_testkit::http::FakeServer;

use common::{ACCESS_TOKEN, CALLBACK_URL, FakeShopee, OTHER_KEY, PARTNER_KEY};

struct ShopeeHarness {
    channel: Arc<ShopeeChannel>,
}

#[async_trait]
impl ChannelHarness for ShopeeHarness {
    fn channel(&self) -> Arc<dyn Channel> {
        self.channel.clone()
    }

    fn signed_request(&self, body: &[u8]) -> WebhookRequest {
        let mut request = common::signed_for(PARTNER_KEY, CALLBACK_URL, body);
        // Only the Authorization header is part of verification.
        request.headers.remove("content-type");
        request
    }

    fn request_signed_with_other_secret(&self, body: &[u8]) -> WebhookRequest {
        common::signed_for(OTHER_KEY, CALLBACK_URL, body)
    }

    fn sample_payloads(&self) -> Vec<Vec<u8>> {
        // The console's "Verify" push carries no event; every other fixture carries some.
        common::fixture_names().iter().filter(|name| *name != "verify").map(|name| common::fixture(name)).collect()
    }

    async fn send_target(&self, platform: &FakeServer) -> Option<SendTarget> {
        let clock = common::clock();
        FakeShopee::new(clock.clone()).serve(platform);
        let account = common::account("acme");
        let recipient = common::buyer(&account);
        Some(SendTarget {
            channel: Arc::new(common::sending_channel(platform, clock)),
            account,
            recipient,
            access_token: Some(SecretString::from(ACCESS_TOKEN)),
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shopee_channel_passes_the_channel_conformance_suite() {
    run_all(&ShopeeHarness { channel: Arc::new(common::channel()) }).await;
}
