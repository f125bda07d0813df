//! Orders, history and the catalog against a loopback fake of TikTok Shop's Partner API that
//! checks every signature (path, sorted query, exact body), the access token header and the
//! shop cipher: an order push is completed from `/order/202309/orders`; a buyer's orders come
//! from the order search; the back-fill pages the Customer Service conversations and stores a
//! message pulled and pushed once; the product search syncs into the catalog; error answers map
//! to kinds; tenants stay apart.

mod common;

use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;
use unibox_core::catalog::ProductSource;
use unibox_core::history::{ConversationHistory, HistoryWorker};
use unibox_core::inbox::ConversationQuery;
use unibox_core::memory::MemoryStore;
use unibox_core::orders::OrderSource;
use unibox_core::{Actor, ChannelAccount, ChannelId, ErrorKind, Hub, Role, TokenSet};
use unibox_testkit::http::FakeServer;

use common::{ACCESS_TOKEN, FakeTikTokShop, NOW, SHOP};

const ORDER_ID: &str = "576486316948490001";
const BUYER: &str = "7494560109732334274";

fn channel_id() -> ChannelId {
    "acme-tiktok".parse().unwrap()
}

fn admin(account: &ChannelAccount) -> Actor {
    Actor::user(account.tenant.clone(), "admin".parse().unwrap(), Role::Admin)
}

fn agent(account: &ChannelAccount) -> Actor {
    Actor::user(account.tenant.clone(), "agent".parse().unwrap(), Role::Agent)
}

/// The order as `/order/202309/orders` answers it: two units of one SKU (one line each) and
/// another product, in transit.
fn order(id: &str, status: &str, update_time: i64) -> serde_json::Value {
    let line = |line_id: &str, product: &str, sku: &str, name: &str, price: &str| {
        json!({"id": line_id, "sku_id": sku, "product_id": product, "product_name": name, "seller_sku": format!("SELLER-{sku}"),
               "sku_image": "https://p16-oec-sg.ibyteimg.com/tos-alisg-i-aphluv4xwc-sg/scarf.jpeg", "sale_price": price,
               "original_price": "500.00", "package_id": "1153132168123859123", "tracking_number": "TT0123456789TH",
               "shipping_provider_name": "Flash Express", "cancel_reason": ""})
    };
    json!({
        "id": id, "status": status, "user_id": BUYER, "buyer_message": "", "buyer_email": "v2_anon@scs.tiktokw.us",
        "create_time": NOW - 7200, "update_time": update_time,
        "payment": {"currency": "THB", "sub_total": "950.00", "shipping_fee": "40.00", "total_amount": "990.00"},
        "tracking_number": "TT0123456789TH", "shipping_provider": "Flash Express", "packages": [{"id": "1153132168123859123"}],
        "line_items": [
            line("577086512123755123", "1729587769570987777", "1729587769571053313", "Thai silk scarf", "450.00"),
            line("577086512123755124", "1729587769570987777", "1729587769571053313", "Thai silk scarf", "450.00"),
            line("577086512123755125", "1729587769570989999", "1729587769571059999", "Gift box", "50.00")
        ]
    })
}

/// A buyer's message as the message list answers it.
fn listed(id: &str, text: &str, at: i64) -> serde_json::Value {
    json!({"id": id, "type": "TEXT", "content": json!({"content": text}).to_string(), "create_time": at,
           "is_visible": true, "index": id, "sender": {"im_user_id": "707885565181165594", "role": "BUYER",
           "nickname": "somchai.j", "avatar": "https://p16-oec-va.ibyteimg.com/avatar.jpeg"}})
}

/// The same message as a NEW_MESSAGE webhook (type 14).
fn pushed(conversation: &str, id: &str, text: &str, at: i64) -> Vec<u8> {
    serde_json::to_vec(&json!({"type": 14, "tts_notification_id": format!("73271123930573{}", &id[id.len() - 5..]),
        "shop_id": SHOP, "timestamp": at + 1,
        "data": {"content": json!({"content": text}).to_string(), "conversation_id": conversation, "create_time": at,
                 "is_visible": true, "message_id": id, "index": id, "type": "TEXT",
                 "sender": {"im_user_id": "707885565181165594", "role": "BUYER"}}}))
    .unwrap()
}

fn hub(platform: &FakeServer) -> Hub {
    let clock = common::clock();
    Hub::builder(MemoryStore::new())
        .channel(channel_id(), Arc::new(common::sending_channel(platform, clock.clone(), true)))
        .clock(clock)
        .build()
}

async fn connected(hub: &Hub) -> ChannelAccount {
    let account = common::account();
    hub.ensure_account(&admin(&account), account, Some(TokenSet::new(ACCESS_TOKEN))).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_push_is_completed_from_the_order_api_and_a_buyers_orders_come_from_the_search() {
    let platform = FakeServer::start().await.unwrap();
    let tiktok = FakeTikTokShop::new();
    tiktok.books.lock().unwrap().orders =
        vec![order(ORDER_ID, "IN_TRANSIT", NOW - 100), order("576486316948490002", "COMPLETED", NOW - 5000)];
    tiktok.serve(&platform);
    let hub = hub(&platform);
    let account = connected(&hub).await;
    let (receipt, _) =
        hub.receive_webhook(&channel_id(), &common::signed(&common::fixture("order_status"))).await.unwrap();
    assert_eq!(receipt.stored, 1);

    let mut stored = hub.order(&agent(&account), account.id, ORDER_ID).await.unwrap();
    for _ in 0..100 {
        if stored.buyer.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        stored = hub.order(&agent(&account), account.id, ORDER_ID).await.unwrap();
    }
    assert_eq!(stored.buyer.as_ref().map(|b| b.id.as_str()), Some(BUYER));
    assert_eq!(stored.status, "IN_TRANSIT");
    assert_eq!((stored.total.as_deref(), stored.currency.as_deref()), (Some("990.00"), Some("THB")));
    assert_eq!(stored.tracking_number.as_deref(), Some("TT0123456789TH"));
    let items: Vec<(&str, u32, Option<&str>)> =
        stored.items.iter().map(|i| (i.name.as_str(), i.quantity, i.unit_price.as_deref())).collect();
    assert_eq!(items, [("Thai silk scarf", 2, Some("450.00")), ("Gift box", 1, Some("50.00"))]);
    assert_eq!(stored.items[0].product_id.as_deref(), Some("1729587769570987777"));
    assert_eq!(stored.history.len(), 1, "the push's status change");

    let orders = hub.refresh_buyer_orders(&agent(&account), account.id, BUYER).await.unwrap();
    let mut ids: Vec<&str> = orders.iter().map(|o| o.order_id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, [ORDER_ID, "576486316948490002"]);
    let calls = tiktok.books.lock().unwrap().calls.clone();
    assert_eq!(calls, ["GET /order/202309/orders", "POST /order/202309/orders/search"]);
    let globex = Actor::user("globex".parse().unwrap(), "agent".parse().unwrap(), Role::Agent);
    assert_eq!(hub.order(&globex, account.id, ORDER_ID).await.unwrap_err().kind(), ErrorKind::NotFound);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backfill_is_paged_and_a_message_pulled_and_pushed_is_stored_once() {
    let platform = FakeServer::start().await.unwrap();
    let tiktok = FakeTikTokShop::new();
    let conversations: Vec<(String, Vec<serde_json::Value>)> = (0..12u64)
        .map(|i| {
            let conversation = (710_688_832_392_260_800 + i).to_string();
            let messages = vec![
                listed(&format!("72232340792636{:05}", i * 2), "Is this in stock?", NOW - 9000),
                listed(&format!("72232340792636{:05}", i * 2 + 1), "Hello?", NOW - 8000),
            ];
            (conversation, messages)
        })
        .collect();
    let (first, last) = (conversations[0].0.clone(), conversations[11].0.clone());
    tiktok.books.lock().unwrap().conversations = conversations;
    tiktok.serve(&platform);
    let hub = hub(&platform);
    let account = connected(&hub).await;

    let early = pushed(&first, "7223234079263600000", "Is this in stock?", NOW - 9000);
    assert_eq!(hub.receive_webhook(&channel_id(), &common::signed(&early)).await.unwrap().0.stored, 1);
    let worker = HistoryWorker::new(hub.clone()).unwrap();
    let report = worker.backfill(&account).await.unwrap();
    assert_eq!((report.pages, report.events, report.finished), (2, 24, true));
    assert_eq!(report.duplicates, 1, "the pushed message was recognised");
    let calls = tiktok.books.lock().unwrap().calls.clone();
    assert_eq!(calls.iter().filter(|c| *c == "GET /customer_service/202309/conversations").count(), 2);
    assert_eq!(calls.len(), 2 + 12);

    // A webhook lost earlier and recovered by the back-fill, delivered late: stored once.
    let late = pushed(&last, "7223234079263600023", "Hello?", NOW - 8000);
    let (receipt, _) = hub.receive_webhook(&channel_id(), &common::signed(&late)).await.unwrap();
    assert_eq!((receipt.stored, receipt.duplicates), (0, 1));
    let conversations = hub.conversations(&agent(&account), &ConversationQuery::new()).await.unwrap().items;
    assert_eq!(conversations.len(), 12);
    for conversation in &conversations {
        let messages = hub.messages(&agent(&account), conversation.id, &Default::default()).await.unwrap().items;
        assert_eq!(messages.len(), 2, "each message once");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn active_products_sync_into_the_tenants_catalog_page_by_page() {
    let platform = FakeServer::start().await.unwrap();
    let tiktok = FakeTikTokShop::new();
    tiktok.books.lock().unwrap().products = (0..55u64)
        .map(|i| {
            json!({"id": (1_729_587_769_570_980_000u64 + i).to_string(), "title": format!("Thai silk scarf no. {i}"),
                   "status": "ACTIVATE", "create_time": NOW - 86_400, "update_time": NOW - 3600,
                   "skus": [{"id": "1729587769571053313", "seller_sku": format!("SCARF-{i}"),
                             "price": {"currency": "THB", "tax_exclusive_price": "450.00", "sale_price": "399.00"},
                             "inventory": [{"quantity": 7, "warehouse_id": "7068517275539719942"}, {"quantity": 2, "warehouse_id": "7068517275539719943"}]}]})
        })
        .collect();
    tiktok.serve(&platform);
    let hub = hub(&platform);
    let account = connected(&hub).await;
    assert_eq!(hub.sync_catalog(&admin(&account), account.id).await.unwrap(), 55);
    let found = hub.search_products(&agent(&account), "scarf no. 54", 10).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].product_id, "1729587769570980054");
    assert_eq!((found[0].price.as_deref(), found[0].currency.as_deref()), (Some("399.00"), Some("THB")));
    assert_eq!(found[0].stock, Some(9), "summed over warehouses");
    assert_eq!(tiktok.books.lock().unwrap().calls.len(), 2, "50 and 5");
    let globex = Actor::user("globex".parse().unwrap(), "agent".parse().unwrap(), Role::Agent);
    assert!(hub.search_products(&globex, "scarf", 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn read_errors_map_to_kinds() {
    let platform = FakeServer::start().await.unwrap();
    let tiktok = FakeTikTokShop::new();
    tiktok.books.lock().unwrap().orders = vec![order(ORDER_ID, "IN_TRANSIT", NOW)];
    tiktok.serve(&platform);
    let channel = common::sending_channel(&platform, common::clock(), true);
    let account = common::account();
    let token = SecretString::from(ACCESS_TOKEN);

    tiktok.books.lock().unwrap().fail_next = Some((429, 36009002));
    let limited = channel.fetch_order(&account, Some(&token), ORDER_ID).await.unwrap_err();
    assert_eq!(limited.kind(), ErrorKind::RateLimited);
    let expired = SecretString::from("ROW_expired");
    assert_eq!(
        channel.fetch_order(&account, Some(&expired), ORDER_ID).await.unwrap_err().kind(),
        ErrorKind::TokenInvalid
    );
    assert_eq!(
        channel.fetch_order(&account, Some(&token), "576486316948499999").await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(channel.fetch_order(&account, Some(&token), "1,2").await.unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(
        channel.fetch_buyer_orders(&account, Some(&token), "x\"}").await.unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(channel.backfill(&account, Some(&token), Some("")).await.unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(channel.list_products(&account, None, None).await.unwrap_err().kind(), ErrorKind::Configuration);
    let no_cipher = common::sending_channel(&platform, common::clock(), false);
    let unknown_shop = no_cipher.fetch_order(&account, Some(&token), ORDER_ID).await.unwrap_err();
    assert_eq!(unknown_shop.kind(), ErrorKind::Configuration, "no shop_cipher for the shop");
}

/// The chat's contact is keyed by the conversation and the webhook names only the buyer's
/// `im_user_id`; the conversation list names the buyer's `user_id`, which the order carries,
/// so the order shows under the chat's contact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buyers_order_shows_under_the_contact_of_their_chat() {
    let platform = FakeServer::start().await.unwrap();
    let tiktok = FakeTikTokShop::new();
    let chat = "7494560109732334999";
    let stranger_chat = "7494560109732330003";
    {
        let mut books = tiktok.books.lock().unwrap();
        books.orders = vec![order(ORDER_ID, "IN_TRANSIT", NOW - 100)];
        // 25 conversations, the buyer's on the second page of 20.
        for i in 0..25 {
            let id = if i == 22 { chat.to_owned() } else { format!("74945601097323{:05}", i) };
            books.buyers.insert(id.clone(), format!("70000000000000{:05}", i));
            books.conversations.push((id, Vec::new()));
        }
        books.buyers.insert(chat.into(), BUYER.into());
    }
    tiktok.serve(&platform);
    let hub = hub(&platform);
    let account = connected(&hub).await;
    hub.receive_webhook(
        &channel_id(),
        &common::signed(&pushed(chat, "7494560109732311111", "Is it shipped?", NOW - 60)),
    )
    .await
    .unwrap();
    hub.receive_webhook(&channel_id(), &common::signed(&pushed(stranger_chat, "7494560109732322222", "Hi", NOW - 50)))
        .await
        .unwrap();
    hub.receive_webhook(&channel_id(), &common::signed(&common::fixture("order_status"))).await.unwrap();

    let conversations = hub.conversations(&agent(&account), &ConversationQuery::new()).await.unwrap().items;
    assert_eq!(conversations.len(), 2);
    let mut contacts = Vec::new();
    for conversation in &conversations {
        let contact = hub.contact_profile(&agent(&account), conversation.contact).await.unwrap().contact;
        contacts.push((contact.identities[0].value.clone(), conversation.id, conversation.contact));
    }
    let (_, conversation, contact) = contacts.iter().find(|(id, ..)| id == chat).unwrap().clone();
    let (_, _, stranger) = contacts.iter().find(|(id, ..)| id == stranger_chat).unwrap().clone();

    // The push names no buyer; the order API does (fetched in the background).
    let mut orders = Vec::new();
    for _ in 0..100 {
        orders = hub.orders_of_contact(&agent(&account), contact).await.unwrap();
        if !orders.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(orders.iter().map(|o| o.order_id.as_str()).collect::<Vec<_>>(), [ORDER_ID]);
    assert_eq!(orders[0].buyer.as_ref().map(|b| b.id.as_str()), Some(BUYER));
    let listed = |tiktok: &FakeTikTokShop| {
        tiktok.books.lock().unwrap().calls.iter().filter(|c| *c == "GET /customer_service/202309/conversations").count()
    };
    let searched = listed(&tiktok);
    assert!(searched >= 2, "the buyer's conversation is on the second page");
    assert_eq!(hub.conversation_orders(&agent(&account), conversation).await.unwrap().len(), 1, "beside the chat");
    assert_eq!(listed(&tiktok), searched, "the conversation's buyer is remembered");
    // A conversation the list does not hold (its buyer unknown) finds no order, and is no error;
    // it is not searched again at once.
    assert!(hub.orders_of_contact(&agent(&account), stranger).await.unwrap().is_empty());
    let after_miss = listed(&tiktok);
    assert_eq!(after_miss, searched + 2, "both pages searched once");
    assert!(hub.orders_of_contact(&agent(&account), stranger).await.unwrap().is_empty());
    assert_eq!(listed(&tiktok), after_miss, "the miss is remembered");
    let globex = Actor::user("globex".parse().unwrap(), "agent".parse().unwrap(), Role::Agent);
    assert_eq!(hub.orders_of_contact(&globex, contact).await.unwrap_err().kind(), ErrorKind::NotFound);
}
