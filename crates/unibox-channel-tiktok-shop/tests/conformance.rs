//! The unibox-testkit channel conformance suite, run against the TikTok Shop channel, with the
//! Partner API simulated on a loopback fake server for the send tests.

mod common;

use std::sync::Arc;

use async_trait::async_trait;
use secrecy::SecretString;
use unibox_channel_tiktok_shop::TikTokShopChannel;
use unibox_core::Channel;
use unibox_core::channel::WebhookRequest;
use unibox_testkit::channel::{ChannelHarness, SendTarget, run_all};
use unibox_testkit::http::FakeServer;

use common::{ACCESS_TOKEN, APP_SECRET, FakeTikTokShop, OTHER_SECRET};

struct TikTokShopHarness {
    channel: Arc<TikTokShopChannel>,
}

#[async_trait]
impl ChannelHarness for TikTokShopHarness {
    fn channel(&self) -> Arc<dyn Channel> {
        self.channel.clone()
    }

    fn signed_request(&self, body: &[u8]) -> WebhookRequest {
        common::signed_with(APP_SECRET, body)
    }

    fn request_signed_with_other_secret(&self, body: &[u8]) -> WebhookRequest {
        common::signed_with(OTHER_SECRET, body)
    }

    fn sample_payloads(&self) -> Vec<Vec<u8>> {
        common::fixture_names().iter().map(|name| common::fixture(name)).collect()
    }

    async fn send_target(&self, platform: &FakeServer) -> Option<SendTarget> {
        FakeTikTokShop::new().serve(platform);
        let account = common::account();
        let recipient = common::chat(&account);
        Some(SendTarget {
            channel: Arc::new(common::sending_channel(platform, common::clock(), true)),
            account,
            recipient,
            access_token: Some(SecretString::from(ACCESS_TOKEN)),
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tiktok_shop_channel_passes_the_channel_conformance_suite() {
    run_all(&TikTokShopHarness { channel: Arc::new(common::channel()) }).await;
}
