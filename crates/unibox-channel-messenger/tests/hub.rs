//! A batched delivery for two Pages of two tenants, through the hub: every event reaches its
//! tenant, and a redelivery is stored once.

mod common;

use std::sync::Arc;

use unibox_core::inbox::ConversationQuery;
use unibox_core::memory::{MemoryStore, MemoryTokenStore};
use unibox_core::{Actor, ChannelAccount, ChannelId, ChannelKind, Hub, Role, TenantId, Timestamp, TokenSet};

use common::{OTHER_PAGE_ID, PAGE_ID};

fn channel_id() -> ChannelId {
    "meta-app".parse().unwrap()
}

async fn connect(hub: &Hub, tenant: &TenantId, page: &str) {
    let account = ChannelAccount::new(
        tenant.clone(),
        channel_id(),
        ChannelKind::MESSENGER,
        page,
        Timestamp::from_unix_seconds(0),
    );
    let admin = Actor::user(tenant.clone(), "admin".parse().unwrap(), Role::Admin);
    hub.connect_account(&admin, account, Some(TokenSet::new(common::PAGE_TOKEN))).await.unwrap();
}

async fn conversations(hub: &Hub, tenant: &TenantId) -> usize {
    let agent = Actor::user(tenant.clone(), "agent".parse().unwrap(), Role::Agent);
    hub.conversations(&agent, &ConversationQuery::new()).await.unwrap().items.len()
}

#[tokio::test]
async fn a_batch_for_two_pages_reaches_both_tenants_and_a_redelivery_is_stored_once() {
    let hub = Hub::builder(MemoryStore::new())
        .channel(channel_id(), Arc::new(common::channel()))
        .tokens(Arc::new(MemoryTokenStore::new()))
        .build();
    let (acme, globex): (TenantId, TenantId) = ("acme".parse().unwrap(), "globex".parse().unwrap());
    connect(&hub, &acme, PAGE_ID).await;
    connect(&hub, &globex, OTHER_PAGE_ID).await;

    let request = common::signed(common::BATCH.as_bytes());
    let (first, response) = hub.receive_webhook(&channel_id(), &request).await.unwrap();
    assert_eq!(response.status.as_u16(), 200);
    assert_eq!((first.events, first.duplicates), (5, 0));
    assert_eq!(conversations(&hub, &acme).await, 1);
    assert_eq!(conversations(&hub, &globex).await, 1);

    let (again, _) = hub.receive_webhook(&channel_id(), &request).await.unwrap();
    assert_eq!((again.stored, again.duplicates), (0, 5));

    let forged = common::signed_with(common::OTHER_SECRET, common::BATCH.as_bytes());
    assert_eq!(hub.handle_webhook(&channel_id(), forged).await.status.as_u16(), 401);
    let handshake = unibox_core::channel::WebhookRequest::get(
        format!("{}?hub.mode=subscribe&hub.challenge=42&hub.verify_token={}", common::URL, common::VERIFY_TOKEN)
            .parse()
            .unwrap(),
    );
    let answer = hub.handle_webhook(&channel_id(), handshake).await;
    assert_eq!((answer.status.as_u16(), answer.body.as_ref()), (200, &b"42"[..]));
}
