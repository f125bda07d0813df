//! Orders beside conversations and pulling history, against a loopback fake of Shopee's API:
//! an order push updates the stored order (its details fetched from `get_order_detail`) and
//! adds a system event to the buyer's conversation; a lost push recovered by the poller is
//! stored once and its later push is a duplicate; the back-fill is paged and resumes from its
//! durable cursor after a restart; error answers map to kinds; tenants stay apart.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use unibox_core::history::{ConversationHistory, HistoryWorker};
use unibox_core::inbox::ConversationQuery;
use unibox_core::orders::OrderSource;
use unibox_core::{Actor, ChannelAccount, ChannelId, ErrorKind, Hub, ManualClock, Role, TokenSet};
use unibox_store_sqlite::{SqliteInbox, SqliteStore};
use unibox_testkit::http::FakeServer;
use unibox_vault::{Keyring, StoreKeys};

use common::{ACCESS_TOKEN, BUYER, FakeShopee, NOW, SHOP};

const ORDER_SN: &str = "2411290R48U37H";

fn channel_id() -> ChannelId {
    "acme-shopee".parse().unwrap()
}

fn admin(account: &ChannelAccount) -> Actor {
    Actor::user(account.tenant.clone(), "admin".parse().unwrap(), Role::Admin)
}

/// A buyer's chat message as a webchat push (code 10) to the test shop.
fn text_push(buyer: &str, message_id: &str, conversation: &str, text: &str, at: i64) -> String {
    format!(
        r#"{{"msg_id":"","data":{{"type":"message","region":"TH","content":{{"message_id":"{message_id}","shop_id":{SHOP},"from_id":{buyer},"from_user_name":"buyer{buyer}","to_id":{SHOP},"to_user_name":"acme","message_type":"text","content":{{"text":"{text}"}},"conversation_id":"{conversation}","created_timestamp":{at},"region":"TH","source_content":{{}},"quoted_msg":{{"message_id":""}}}}}},"shop_id":{SHOP},"code":10,"timestamp":{at}}}"#
    )
}

/// The same message as `get_message` lists it.
fn listed_message(buyer: &str, message_id: &str, conversation: &str, text: &str, at: i64) -> String {
    format!(
        r#"{{"message_id":"{message_id}","message_type":"text","from_id":{buyer},"from_shop_id":0,"to_id":{SHOP},"to_shop_id":{SHOP},"conversation_id":{conversation},"created_timestamp":{at},"region":"TH","status":"normal","source":"","content":{{"text":"{text}"}},"message_option":0,"source_content":{{}}}}"#
    )
}

fn order_push(status: &str, at: i64) -> String {
    format!(
        r#"{{"data":{{"items":[],"ordersn":"{ORDER_SN}","status":"{status}","completed_scenario":"","update_time":{at}}},"shop_id":{SHOP},"code":3,"timestamp":{at}}}"#
    )
}

fn order_detail() -> serde_json::Value {
    serde_json::json!({
        "order_sn": ORDER_SN, "order_status": "READY_TO_SHIP", "currency": "THB", "total_amount": 900.5,
        "create_time": NOW - 3600, "update_time": NOW - 100, "buyer_user_id": BUYER.parse::<u64>().unwrap(),
        "buyer_username": "somchai.j",
        "item_list": [{"item_id": 3000120034u64, "item_name": "Thai silk scarf", "model_name": "Red", "model_sku": "SCARF-RED",
                       "model_quantity_purchased": 2, "model_discounted_price": 450.25,
                       "image_info": {"image_url": "https://cf.shopee.co.th/file/scarf-red"}}]
    })
}

async fn sqlite_hub(path: &Path, keys: &str, api: &FakeServer, clock: Arc<ManualClock>) -> Hub {
    sqlite_hub_and_inbox(path, keys, api, clock).await.0
}

/// The hub and its inbox, for a test that closes the file before opening it again.
async fn sqlite_hub_and_inbox(
    path: &Path,
    keys: &str,
    api: &FakeServer,
    clock: Arc<ManualClock>,
) -> (Hub, Arc<SqliteInbox>) {
    let keys = StoreKeys::try_from(Keyring::parse(keys).unwrap()).unwrap();
    let store = SqliteStore::open(path, keys).await.unwrap();
    let inbox = store.inbox().clone();
    let hub = Hub::builder(store)
        .channel(channel_id(), Arc::new(common::sending_channel(api, clock.clone())))
        .clock(clock)
        .build();
    (hub, inbox)
}

/// Closes the inbox (its writes finished, its threads stopped) once the hub that used it and
/// the hub's background work have let go of it, as a process does before it exits: a second
/// store on the same file must not run beside the first.
async fn close(mut inbox: Arc<SqliteInbox>) {
    for _ in 0..500 {
        match Arc::try_unwrap(inbox) {
            Ok(inbox) => return inbox.close().await,
            Err(shared) => inbox = shared,
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("something still holds the inbox 5 s after its hub was dropped");
}

async fn connected(hub: &Hub, tenant: &str) -> ChannelAccount {
    let account = common::account(tenant);
    hub.ensure_account(&admin(&account), account, Some(TokenSet::new(ACCESS_TOKEN))).await.unwrap()
}

/// The order once the hub's background fetch of its details landed (it waits at most 2 s).
async fn fetched_order(hub: &Hub, agent: &Actor, account: &ChannelAccount) -> unibox_core::orders::Order {
    let mut order = hub.order(agent, account.id, ORDER_SN).await.unwrap();
    for _ in 0..100 {
        if order.buyer.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        order = hub.order(agent, account.id, ORDER_SN).await.unwrap();
    }
    order
}

async fn push(hub: &Hub, body: &str) -> unibox_core::hub::WebhookReceipt {
    hub.receive_webhook(&channel_id(), &common::signed(body.as_bytes())).await.unwrap().0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_push_updates_the_stored_order_and_adds_a_system_event_to_the_buyers_conversation() {
    let api = FakeServer::start().await.unwrap();
    let clock = common::clock();
    let fake = FakeShopee::new(clock.clone());
    fake.books.lock().unwrap().orders.insert(ORDER_SN.into(), order_detail());
    fake.books.lock().unwrap().tracking.insert(ORDER_SN.into(), "SPXTH0000001".into());
    fake.serve(&api);
    let dir = tempfile::tempdir().unwrap();
    let hub = sqlite_hub(&dir.path().join("inbox.db"), &Keyring::generate_entry(1), &api, clock).await;
    let account = connected(&hub, "acme").await;
    let agent = Actor::user(account.tenant.clone(), "agent".parse().unwrap(), Role::Agent);

    push(&hub, &text_push(BUYER, "2302748948493200001", "709122092476686001", "Where is my scarf?", NOW - 60)).await;
    let receipt = push(&hub, &order_push("READY_TO_SHIP", NOW - 50)).await;
    assert_eq!(receipt.stored, 1);

    // The push named only the status; the hub fetched the rest in the background.
    let order = fetched_order(&hub, &agent, &account).await;
    assert_eq!(order.buyer.as_ref().map(|b| b.id.as_str()), Some(BUYER));
    assert_eq!(order.status, "READY_TO_SHIP");
    assert_eq!((order.total.as_deref(), order.currency.as_deref()), (Some("900.5"), Some("THB")));
    assert_eq!(order.items.len(), 1);
    assert_eq!(order.items[0].name, "Thai silk scarf (Red)");
    assert_eq!((order.items[0].quantity, order.items[0].unit_price.as_deref()), (2, Some("450.25")));
    assert_eq!(order.items[0].product_id.as_deref(), Some("3000120034"));
    assert_eq!(order.tracking_number.as_deref(), Some("SPXTH0000001"));

    // The system event is in the buyer's conversation.
    let conversation = hub.conversations(&agent, &ConversationQuery::new()).await.unwrap().items.remove(0);
    let beside = hub.conversation_orders(&agent, conversation.id).await.unwrap();
    assert_eq!(beside.len(), 1);
    assert_eq!(beside[0].history.len(), 1);
    assert_eq!(beside[0].history[0].status.as_deref(), Some("READY_TO_SHIP"));
    assert_eq!(hub.orders_of_contact(&agent, conversation.contact).await.unwrap().len(), 1);

    // Redelivered: the history keeps one entry. (A journaling inbox acknowledges a
    // redelivery of an applied event as accepted and recognises it when applying it.)
    push(&hub, &order_push("READY_TO_SHIP", NOW - 50)).await;
    assert_eq!(hub.order(&agent, account.id, ORDER_SN).await.unwrap().history.len(), 1);
    // A tracking push (code 4) sets the tracking number, not the status.
    let tracking = String::from_utf8(common::fixture("tracking_number")).unwrap();
    push(&hub, &tracking).await;
    let order = hub.order(&agent, account.id, ORDER_SN).await.unwrap();
    assert_eq!(order.status, "READY_TO_SHIP");
    assert_eq!(order.tracking_number.as_deref(), Some("TH2411290123456"));
    assert_eq!(order.history.len(), 2, "the status change and the tracking number");

    // Another tenant sees none of it.
    let globex = Actor::user("globex".parse().unwrap(), "agent".parse().unwrap(), Role::Agent);
    assert_eq!(hub.order(&globex, account.id, ORDER_SN).await.unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(hub.orders_of_contact(&globex, conversation.contact).await.unwrap_err().kind(), ErrorKind::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_push_recovered_by_the_poller_is_stored_once_and_its_late_push_is_a_duplicate() {
    let api = FakeServer::start().await.unwrap();
    let clock = common::clock();
    let fake = FakeShopee::new(clock.clone());
    let lost = text_push(BUYER, "2302748948493200077", "709122092476686077", "Did you get this?", NOW - 7200);
    fake.books.lock().unwrap().lost = vec![(501, lost.clone()), (502, order_push("SHIPPED", NOW - 7000))];
    fake.books.lock().unwrap().orders.insert(ORDER_SN.into(), order_detail());
    fake.serve(&api);
    let dir = tempfile::tempdir().unwrap();
    let hub = sqlite_hub(&dir.path().join("inbox.db"), &Keyring::generate_entry(1), &api, clock).await;
    let account = connected(&hub, "acme").await;

    let worker = HistoryWorker::new(hub.clone()).unwrap();
    let report = worker.recover_lost_pushes(&account).await.unwrap();
    assert_eq!((report.pages, report.events), (2, 2), "a page of two, then an empty one");
    assert_eq!(fake.books.lock().unwrap().confirmed, vec![502], "confirmed once stored");
    assert!(fake.books.lock().unwrap().lost.is_empty());

    // Shopee delivers the push after all: it was stored before, so nothing changes.
    push(&hub, &lost).await;
    let agent = Actor::user(account.tenant.clone(), "agent".parse().unwrap(), Role::Agent);
    let conversations = hub.conversations(&agent, &ConversationQuery::new()).await.unwrap().items;
    assert_eq!(conversations.len(), 1);
    let messages = hub.messages(&agent, conversations[0].id, &Default::default()).await.unwrap().items;
    assert_eq!(messages.len(), 1, "the message is stored once");
    assert_eq!(hub.order(&agent, account.id, ORDER_SN).await.unwrap().history.len(), 1);

    // Nothing left: the next round pulls an empty page and confirms nothing.
    let report = worker.recover_lost_pushes(&account).await.unwrap();
    assert_eq!((report.pages, report.events), (1, 0));
    assert_eq!(fake.books.lock().unwrap().confirmed, vec![502]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backfill_is_paged_and_resumes_from_its_durable_cursor_after_a_restart() {
    let api = FakeServer::start().await.unwrap();
    let clock = common::clock();
    let fake = FakeShopee::new(clock.clone());
    // 12 conversations, one buyer each: two pages of 10.
    let mut conversations = Vec::new();
    for i in 0..12u64 {
        let buyer = (384_920_200 + i).to_string();
        let conversation = (709_122_092_476_686_100 + i).to_string();
        let messages = vec![
            listed_message(&buyer, &format!("23027489484932{:05}", i * 2), &conversation, "hello", NOW - 9000),
            listed_message(&buyer, &format!("23027489484932{:05}", i * 2 + 1), &conversation, "anyone?", NOW - 8000),
        ];
        conversations.push((conversation, messages));
    }
    fake.books.lock().unwrap().conversations = conversations;
    fake.serve(&api);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inbox.db");
    let keys = Keyring::generate_entry(1);

    let (hub, inbox) = sqlite_hub_and_inbox(&path, &keys, &api, clock.clone()).await;
    let account = connected(&hub, "acme").await;
    // One of the messages was pushed before the back-fill: it stays one message.
    let pushed = text_push("384920200", "2302748948493200000", "709122092476686100", "hello", NOW - 9000);
    assert_eq!(push(&hub, &pushed).await.stored, 1);
    let worker = HistoryWorker::new(hub.clone()).unwrap().max_pages_per_run(1);
    let first = worker.backfill(&account).await.unwrap();
    assert_eq!((first.pages, first.events, first.finished), (1, 20, false));
    drop(worker);
    drop(hub);
    close(inbox).await;

    // A restart: a new hub on the same file goes on from the saved cursor.
    let hub = sqlite_hub(&path, &keys, &api, clock).await;
    let account = connected(&hub, "acme").await;
    let worker = HistoryWorker::new(hub.clone()).unwrap().max_pages_per_run(1);
    let second = worker.backfill(&account).await.unwrap();
    assert_eq!((second.pages, second.events, second.finished), (1, 4, true));
    let pages = fake.books.lock().unwrap().conversation_pages.clone();
    assert_eq!(pages, vec![None, Some("1726000000000000010".to_owned())], "the second page, not the first again");
    let third = worker.backfill(&account).await.unwrap();
    assert_eq!((third.pages, third.finished), (0, true), "a finished back-fill is not repeated");

    let agent = Actor::user(account.tenant.clone(), "agent".parse().unwrap(), Role::Agent);
    let stored = hub.conversations(&agent, &ConversationQuery::new().limit(50)).await.unwrap().items;
    assert_eq!(stored.len(), 12);
    let mut messages = 0;
    for conversation in &stored {
        messages += hub.messages(&agent, conversation.id, &Default::default()).await.unwrap().items.len();
    }
    assert_eq!(messages, 24, "every message once, the pushed one included");
}

#[tokio::test]
async fn fetch_errors_map_to_kinds() {
    let api = FakeServer::start().await.unwrap();
    let clock = common::clock();
    let fake = FakeShopee::new(clock.clone());
    fake.books.lock().unwrap().orders.insert(ORDER_SN.into(), order_detail());
    fake.serve(&api);
    let channel = common::sending_channel(&api, clock);
    let account = common::account("acme");
    let token = SecretString::from(ACCESS_TOKEN);
    let wrong = SecretString::from("4e4b6f-not-issued");

    let order = channel.fetch_order(&account, Some(&token), ORDER_SN).await.unwrap();
    assert_eq!(order.status, "READY_TO_SHIP");
    assert_eq!(order.tracking_number, None, "no tracking number yet is not an error");
    assert_eq!(
        channel.fetch_order(&account, Some(&token), "2411290XXXXXXX").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(
        channel.fetch_order(&account, Some(&wrong), ORDER_SN).await.unwrap_err().kind(),
        ErrorKind::TokenInvalid
    );
    assert_eq!(channel.backfill(&account, Some(&wrong), None).await.unwrap_err().kind(), ErrorKind::TokenInvalid);
    fake.books.lock().unwrap().throttle_next = true;
    let throttled = channel.fetch_order(&account, Some(&token), ORDER_SN).await.unwrap_err();
    assert_eq!(throttled.kind(), ErrorKind::RateLimited);
    assert!(throttled.retry_after().is_some());
    assert_eq!(
        channel.backfill(&account, Some(&token), Some("not a position")).await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(channel.fetch_order(&account, None, ORDER_SN).await.unwrap_err().kind(), ErrorKind::Configuration);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_sync_into_the_catalog_and_an_agent_sends_one_as_a_product_card() {
    let api = FakeServer::start().await.unwrap();
    let clock = common::clock();
    let fake = FakeShopee::new(clock.clone());
    // Three items: two pages of the fake's item list (it serves at most 2 a page).
    fake.books.lock().unwrap().items = vec![
        serde_json::json!({"item_id": 3000120034u64, "item_name": "Thai silk scarf (red)", "image": {"image_url_list": ["https://cf.shopee.co.th/file/scarf-red"]},
                           "price_info": [{"currency": "THB", "current_price": 450.25, "original_price": 500}], "stock_info_v2": {"summary_info": {"total_reserved_stock": 0, "total_available_stock": 12}}}),
        serde_json::json!({"item_id": 3000120035u64, "item_name": "Thai silk scarf (blue)", "price_info": [{"currency": "THB", "current_price": 450}]}),
        serde_json::json!({"item_id": 3000120036u64, "item_name": "Cotton tote bag"}),
    ];
    fake.serve(&api);
    let dir = tempfile::tempdir().unwrap();
    let hub = sqlite_hub(&dir.path().join("inbox.db"), &Keyring::generate_entry(1), &api, clock).await;
    let account = connected(&hub, "acme").await;
    let agent = Actor::user(account.tenant.clone(), "agent".parse().unwrap(), Role::Agent);

    assert_eq!(hub.sync_catalog(&agent, account.id).await.unwrap_err().kind(), ErrorKind::PermissionDenied);
    assert_eq!(hub.sync_catalog(&admin(&account), account.id).await.unwrap(), 3);
    let found = hub.search_products(&agent, "SILK red", 10).await.unwrap();
    assert_eq!(found.len(), 1);
    let scarf = &found[0];
    assert_eq!(
        (scarf.product_id.as_str(), scarf.price.as_deref(), scarf.currency.as_deref()),
        ("3000120034", Some("450.25"), Some("THB"))
    );
    assert_eq!(scarf.stock, Some(12));
    assert_eq!(scarf.image.as_ref().map(|u| u.as_str()), Some("https://cf.shopee.co.th/file/scarf-red"));

    push(&hub, &text_push(BUYER, "2302748948493200009", "709122092476686009", "Do you have silk scarves?", NOW - 30))
        .await;
    let conversation = hub.conversations(&agent, &ConversationQuery::new()).await.unwrap().items.remove(0);
    let sent = hub.send_product(&agent, conversation.id, account.id, "3000120034").await.unwrap();
    assert_eq!(sent.delivery, unibox_core::DeliveryStatus::Sent);
    assert!(
        matches!(&sent.content, unibox_core::Content::Product { product_id, name: Some(name), .. } if product_id == "3000120034" && name == "Thai silk scarf (red)")
    );
    assert_eq!(fake.books.lock().unwrap().sent_with.len(), 1, "one item card went through sellerchat");
    assert_eq!(
        hub.send_product(&agent, conversation.id, account.id, "999").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );

    // Another tenant finds nothing.
    let globex = Actor::user("globex".parse().unwrap(), "agent".parse().unwrap(), Role::Agent);
    assert!(hub.search_products(&globex, "silk", 10).await.unwrap().is_empty());
}

/// A customer who buys on Shopee and also sent a cart on WhatsApp: once their two contacts
/// are merged, "orders of this contact" lists both.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_of_a_contact_span_a_shopee_shop_and_a_whatsapp_cart() {
    use unibox_channel_whatsapp::{WhatsAppChannel, WhatsAppConfig};
    const APP_SECRET: &str = "8d3f2c1b0a9e8d7c6b5a49382716f5e4";
    let api = FakeServer::start().await.unwrap();
    let clock = common::clock();
    let fake = FakeShopee::new(clock.clone());
    fake.books.lock().unwrap().orders.insert(ORDER_SN.into(), order_detail());
    fake.serve(&api);
    let whatsapp_id: ChannelId = "acme-whatsapp".parse().unwrap();
    let whatsapp = WhatsAppChannel::new(
        WhatsAppConfig::builder().app_secret(APP_SECRET).verify_token("meatyhamhock").build().unwrap(),
    )
    .with_clock(clock.clone());
    let hub = Hub::builder(unibox_core::memory::MemoryStore::new())
        .channel(channel_id(), Arc::new(common::sending_channel(&api, clock.clone())))
        .channel(whatsapp_id.clone(), Arc::new(whatsapp))
        .clock(clock)
        .build();
    let shop = connected(&hub, "acme").await;
    let admin = admin(&shop);
    let number = unibox_core::ChannelAccount::new(
        shop.tenant.clone(),
        whatsapp_id.clone(),
        unibox_core::ChannelKind::WHATSAPP,
        "106540352242922",
        unibox_core::Timestamp::from_unix_seconds(NOW - 86_400),
    );
    let number = hub.ensure_account(&admin, number, Some(TokenSet::new("EAAG-test"))).await.unwrap();

    push(&hub, &text_push(BUYER, "2302748948493200011", "709122092476686011", "Order status?", NOW - 60)).await;
    push(&hub, &order_push("READY_TO_SHIP", NOW - 50)).await;
    let cart = common::fixture("cross_channel/whatsapp_order");
    let request = unibox_core::channel::WebhookRequest::post(
        "https://inbox.example.com/webhooks/whatsapp".parse().unwrap(),
        cart.clone(),
    )
    .with_header("x-hub-signature-256", &unibox_channel_meta::AppSecret::new(APP_SECRET).signature_header(&cart));
    let (receipt, _) = hub.receive_webhook(&whatsapp_id, &request).await.unwrap();
    assert_eq!(receipt.stored, 2, "the cart message and its order");

    let agent = Actor::user(shop.tenant.clone(), "agent".parse().unwrap(), Role::Agent);
    assert!(fetched_order(&hub, &agent, &shop).await.buyer.is_some(), "the Shopee order's buyer was fetched");
    let conversations = hub.conversations(&agent, &ConversationQuery::new()).await.unwrap().items;
    let on = |account: unibox_core::ChannelAccountId| {
        conversations.iter().find(|c| c.account == account).map(|c| c.contact).expect("a conversation on the account")
    };
    let (shopee_contact, whatsapp_contact) = (on(shop.id), on(number.id));
    assert_eq!(hub.orders_of_contact(&agent, whatsapp_contact).await.unwrap().len(), 1, "the cart alone");
    hub.merge_contacts(&admin, shopee_contact, whatsapp_contact).await.unwrap();

    let orders = hub.orders_of_contact(&agent, shopee_contact).await.unwrap();
    let mut ids: Vec<&str> = orders.iter().map(|o| o.order_id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, [ORDER_SN, "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTORD01"]);
    let cart_order = orders.iter().find(|o| o.account == number.id).unwrap();
    assert_eq!(cart_order.status, "placed");
    // The cart's lines and their sum, exactly as decimal text.
    let lines: Vec<(&str, u32, Option<&str>)> =
        cart_order.items.iter().map(|i| (i.name.as_str(), i.quantity, i.unit_price.as_deref())).collect();
    assert_eq!(lines, [("SKU-DESK-120", 1, Some("459.0")), ("SKU-MAT-01", 2, Some("39.5"))]);
    assert_eq!(cart_order.items[0].product_id.as_deref(), Some("SKU-DESK-120"));
    assert_eq!((cart_order.total.as_deref(), cart_order.currency.as_deref()), (Some("538.0"), Some("USD")));
    assert_eq!(cart_order.buyer.as_ref().map(|b| b.id.as_str()), Some("16505551234"));
}
