//! The unibox-testkit channel conformance suite, run against the Twilio channel, with Twilio's
//! Messages resource simulated on a loopback fake server for the send tests.

mod common;

use std::sync::Arc;

use async_trait::async_trait;
use unibox_channel_twilio::TwilioChannel;
use unibox_core::Channel;
use unibox_core::channel::WebhookRequest;
use unibox_testkit::channel::{ChannelHarness, SendTarget, run_all};
use unibox_testkit::http::FakeServer;

use common::{AUTH_TOKEN, FakeTwilio, NUMBER, OTHER_TOKEN, URL};

struct TwilioHarness {
    channel: Arc<TwilioChannel>,
}

#[async_trait]
impl ChannelHarness for TwilioHarness {
    fn channel(&self) -> Arc<dyn Channel> {
        self.channel.clone()
    }

    fn signed_request(&self, body: &[u8]) -> WebhookRequest {
        let mut request = common::signed_at(AUTH_TOKEN, URL, body);
        // Only the signature header is part of verification (and the URL, which is configured).
        request.headers.remove("content-type");
        request
    }

    fn request_signed_with_other_secret(&self, body: &[u8]) -> WebhookRequest {
        common::signed_at(OTHER_TOKEN, URL, body)
    }

    fn sample_payloads(&self) -> Vec<Vec<u8>> {
        common::fixture_names().iter().map(|name| common::fixture(name)).collect()
    }

    async fn send_target(&self, platform: &FakeServer) -> Option<SendTarget> {
        let twilio = FakeTwilio::default();
        platform.respond_with(move |request| twilio.answer(request));
        let account = common::account(NUMBER);
        let recipient = common::sms_customer(&account);
        Some(SendTarget {
            channel: Arc::new(common::sending_channel(platform)),
            account,
            recipient,
            access_token: Some(common::stored_credentials()),
        })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_twilio_channel_passes_the_channel_conformance_suite() {
    run_all(&TwilioHarness { channel: Arc::new(common::channel()) }).await;
}
