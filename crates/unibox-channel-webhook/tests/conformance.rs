//! The unibox-testkit channel conformance suite, run against the webhook channel, with a
//! Standard Webhooks receiver simulated on a loopback fake server for the send tests.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use unibox_channel_webhook::{WebhookChannel, WebhookChannelConfig};
use unibox_core::channel::WebhookRequest;
use unibox_core::http::ReqwestClient;
use unibox_core::{Channel, ChannelAccount, ChannelKind, ContactIdentity, IdentityKind, Timestamp};
use unibox_testkit::channel::{ChannelHarness, SendTarget, run_all};
use unibox_testkit::http::{FakeServer, RecordedRequest, ScriptedResponse};

use common::{NOW, OTHER_SECRET, SECRET};

struct WebhookHarness {
    channel: Arc<WebhookChannel>,
}

impl WebhookHarness {
    fn new() -> Self {
        WebhookHarness { channel: Arc::new(common::channel().0) }
    }
}

/// Answers like a Standard Webhooks receiver that stores messages by webhook-id: 401 for a
/// bad signature, 201 with a new id the first time, 409 with the same id for a repeat.
fn simulate_receiver(accepted: &Mutex<HashMap<String, String>>, request: &RecordedRequest) -> ScriptedResponse {
    let (Some(id), Some(timestamp), Some(signatures)) = (
        request.header("webhook-id"),
        request.header("webhook-timestamp").and_then(|t| t.parse::<i64>().ok()),
        request.header("webhook-signature"),
    ) else {
        return ScriptedResponse::json(400, &serde_json::json!({"error": "missing webhook headers"}));
    };
    let expected = common::secret(SECRET).sign(id, timestamp, &request.body);
    if !signatures.split(' ').any(|s| s == expected) {
        return ScriptedResponse::json(401, &serde_json::json!({"error": "bad signature"}));
    }
    let mut accepted = accepted.lock().unwrap();
    let count = accepted.len();
    match accepted.get(id) {
        Some(platform_id) => ScriptedResponse::json(409, &serde_json::json!({"id": platform_id})),
        None => {
            let platform_id = format!("crm-out-{}", count + 1);
            accepted.insert(id.to_owned(), platform_id.clone());
            ScriptedResponse::json(201, &serde_json::json!({"id": platform_id}))
        }
    }
}

#[async_trait]
impl ChannelHarness for WebhookHarness {
    fn channel(&self) -> Arc<dyn Channel> {
        self.channel.clone()
    }

    fn signed_request(&self, body: &[u8]) -> WebhookRequest {
        common::signed(SECRET, &common::fresh_id(), NOW, body)
    }

    fn request_signed_with_other_secret(&self, body: &[u8]) -> WebhookRequest {
        common::signed(OTHER_SECRET, &common::fresh_id(), NOW, body)
    }

    fn sample_payloads(&self) -> Vec<Vec<u8>> {
        common::samples()
    }

    async fn send_target(&self, platform: &FakeServer) -> Option<SendTarget> {
        let accepted = Mutex::new(HashMap::new());
        platform.respond_with(move |request| simulate_receiver(&accepted, request));
        let config = WebhookChannelConfig::builder()
            .secret(SECRET.into())
            .send_url(platform.url_for("/unibox/outbound"))
            .build()
            .unwrap();
        let client = ReqwestClient::with_timeouts(Duration::from_secs(2), Duration::from_secs(5));
        let channel =
            WebhookChannel::new(config).with_clock(Arc::new(common::clock())).with_http_client(Arc::new(client));
        let account = ChannelAccount::new(
            "acme".parse().unwrap(),
            "acme-crm".parse().unwrap(),
            ChannelKind::WEBHOOK,
            "store-th-01",
            Timestamp::from_unix_seconds(NOW),
        );
        let recipient =
            ContactIdentity { account: account.id, kind: IdentityKind::External, value: "cust-48213".into() };
        Some(SendTarget { channel: Arc::new(channel), account, recipient, access_token: None })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_webhook_channel_passes_the_channel_conformance_suite() {
    run_all(&WebhookHarness::new()).await;
}

#[test]
fn the_default_signature_headers_are_the_three_standard_webhooks_headers() {
    let mut names: Vec<String> =
        WebhookHarness::new().signature_headers().iter().map(|n| n.as_str().to_owned()).collect();
    names.sort();
    assert_eq!(names, ["webhook-id", "webhook-signature", "webhook-timestamp"]);
}
