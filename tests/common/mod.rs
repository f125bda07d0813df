//! What the facade's integration tests share: Acme's Standard Webhooks channel and shop account,
//! and a signed delivery of one customer message.

#![allow(dead_code)] // Each test binary uses its own part.

use unibox::channel::WebhookRequest;
use unibox::channels::webhook::WebhookSecret;
use unibox::secrecy::SecretString;
use unibox::{Actor, ChannelAccount, ChannelId, ChannelKind, Hub, Role, TenantId, Timestamp};

/// The public sandbox secret of the `acme-orders` channel.
pub(crate) const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

pub(crate) fn channel_id() -> ChannelId {
    "acme-orders".parse().unwrap()
}

pub(crate) fn tenant() -> TenantId {
    "acme".parse().unwrap()
}

/// Bob, an agent of Acme.
pub(crate) fn agent() -> Actor {
    Actor::user(tenant(), "bob".parse().unwrap(), Role::Agent)
}

/// Ann (an admin) connects Acme's Bangkok shop on the `acme-orders` channel.
pub(crate) async fn connect_shop(hub: &Hub) {
    let admin = Actor::user(tenant(), "ann".parse().unwrap(), Role::Admin);
    let account = ChannelAccount::new(tenant(), channel_id(), ChannelKind::WEBHOOK, "shop-bangkok", Timestamp::now());
    hub.connect_account(&admin, account, None).await.unwrap();
}

/// A delivery of customer `cust-1001`'s message `m-1` saying `text`, signed with [`SECRET`].
pub(crate) fn customer_message(text: &str, display_name: Option<&str>) -> WebhookRequest {
    let mut customer = serde_json::json!({ "kind": "external", "id": "cust-1001" });
    if let Some(name) = display_name {
        customer["display_name"] = name.into();
    }
    let body = serde_json::json!({
        "account": "shop-bangkok",
        "events": [{ "kind": {
            "type": "message",
            "customer": customer,
            "direction": "inbound",
            "message_id": "m-1",
            "content": { "type": "text", "text": text }
        }}]
    })
    .to_string();
    let key = WebhookSecret::parse(SecretString::from(SECRET)).unwrap();
    let now = Timestamp::now().as_unix_seconds();
    WebhookRequest::post("https://inbox.example.com/webhooks/acme-orders".parse().unwrap(), body.clone())
        .with_header("webhook-id", "msg_1")
        .with_header("webhook-timestamp", &now.to_string())
        .with_header("webhook-signature", &key.sign("msg_1", now, body.as_bytes()))
}
