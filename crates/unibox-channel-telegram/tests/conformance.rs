//! The unibox-testkit channel conformance suite, run against the Telegram channel, with the Bot
//! API simulated on a loopback fake server for the send tests.

mod common;

use std::sync::Arc;

use async_trait::async_trait;
use unibox_channel_telegram::TelegramChannel;
use unibox_core::Channel;
use unibox_core::channel::WebhookRequest;
use unibox_testkit::channel::{ChannelHarness, SendTarget, run_all};
use unibox_testkit::http::FakeServer;

use common::{FakeTelegram, OTHER_SECRET_TOKEN, SECRET_TOKEN, USER};

struct TelegramHarness {
    channel: Arc<TelegramChannel>,
}

#[async_trait]
impl ChannelHarness for TelegramHarness {
    fn channel(&self) -> Arc<dyn Channel> {
        self.channel.clone()
    }

    fn signed_request(&self, body: &[u8]) -> WebhookRequest {
        let mut request = common::delivered_with(SECRET_TOKEN, body);
        // Only the secret token is part of verification.
        request.headers.remove("content-type");
        request
    }

    fn request_signed_with_other_secret(&self, body: &[u8]) -> WebhookRequest {
        common::delivered_with(OTHER_SECRET_TOKEN, body)
    }

    fn sample_payloads(&self) -> Vec<Vec<u8>> {
        common::fixture_names().iter().map(|name| common::fixture(name)).collect()
    }

    /// Telegram echoes a shared secret in a header; the body is not signed.
    fn body_is_signed(&self) -> bool {
        false
    }

    async fn send_target(&self, platform: &FakeServer) -> Option<SendTarget> {
        let telegram = FakeTelegram::default();
        platform.respond_with(move |request| telegram.answer(request));
        let account = common::account();
        let recipient = common::customer(&account, USER);
        // No token in the store: the channel sends with its configured bot token.
        Some(SendTarget {
            channel: Arc::new(common::sending_channel(platform)),
            account,
            recipient,
            access_token: None,
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_telegram_channel_passes_the_channel_conformance_suite() {
    run_all(&TelegramHarness { channel: Arc::new(common::channel()) }).await;
}
