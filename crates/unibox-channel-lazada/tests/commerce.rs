//! Orders, history and the catalog against a loopback fake of Lazada's Open Platform that
//! checks every request's signature: an order push is completed from `/order/get` and
//! `/order/items/get`; the back-fill pages `/im/session/list` and stores a message it pulled
//! and Lazada pushed once, whichever came first; `/products/get` syncs into the catalog; error
//! answers map to kinds; tenants stay apart.

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
use unibox_core::{Actor, ChannelAccount, ChannelId, ErrorKind, Hub, ManualClock, Role, Timestamp, TokenSet};
use unibox_testkit::http::FakeServer;

use common::{ACCESS_TOKEN, FakeLazada, NOW_MILLIS, SELLER};

const ORDER_ID: &str = "260422900198363";
const BUYER_ID: &str = "1011822749";

fn channel_id() -> ChannelId {
    "acme-lazada".parse().unwrap()
}

fn admin(account: &ChannelAccount) -> Actor {
    Actor::user(account.tenant.clone(), "admin".parse().unwrap(), Role::Admin)
}

fn agent(account: &ChannelAccount) -> Actor {
    Actor::user(account.tenant.clone(), "agent".parse().unwrap(), Role::Agent)
}

/// `/order/get` and `/order/items/get` of the order: two lines of one scarf (Lazada lists one
/// line per unit) and a gift box, shipped with a tracking code.
fn order_books() -> (serde_json::Value, serde_json::Value) {
    let order = json!({
        "order_id": 260_422_900_198_363u64, "order_number": 260_422_900_198_363u64, "statuses": ["ready_to_ship"],
        "price": "950.00", "shipping_fee": 40.0, "voucher": 0.0, "items_count": 3,
        "created_at": "2024-11-19 10:15:00 +0700", "updated_at": "2024-11-19 12:00:00 +0700",
        "payment_method": "COD", "customer_first_name": "Somchai", "customer_last_name": "",
        "address_shipping": {"country": "Thailand", "city": "Bangkok"}
    });
    let line = |id: u64, name: &str, sku: &str, price: &str| {
        json!({
            "order_item_id": id, "order_id": 260_422_900_198_363u64, "name": name, "sku": sku, "product_id": "3000120034",
            "product_main_image": "https://th-live.slatic.net/p/scarf-red.jpg", "item_price": price, "paid_price": price,
            "currency": "THB", "status": "ready_to_ship", "tracking_code": "LXTH0012345678", "shipment_provider": "LEX TH",
            "package_id": "FP0123456789", "buyer_id": 1_011_822_749u64, "reason": ""
        })
    };
    let mut gift = line(260_422_900_298_365, "Gift box", "GIFT-BOX", "50.00");
    gift["product_id"] = json!("3000120099");
    let items = json!([
        line(260_422_900_298_363, "Thai silk scarf", "SCARF-RED", "450.00"),
        line(260_422_900_298_364, "Thai silk scarf", "SCARF-RED", "450.00"),
        gift
    ]);
    (order, items)
}

/// A buyer's message as `/im/message/list` lists it (no session id: the session is the query's).
fn listed(message_id: &str, text: &str, send_time: i64) -> serde_json::Value {
    json!({
        "message_id": message_id, "content": json!({"txt": text}).to_string(), "from_account_id": BUYER_ID,
        "from_account_type": 1, "send_time": send_time, "template_id": 1, "to_account_id": "100094063",
        "to_account_type": 2, "type": 1, "process_msg": "", "status": 0, "auto_reply": false, "site_id": "TH"
    })
}

/// The same message as Lazada pushes it (message_type 2).
fn pushed(session: &str, message_id: &str, text: &str, send_time: i64) -> Vec<u8> {
    let mut data = listed(message_id, text, send_time);
    data["session_id"] = json!(session);
    serde_json::to_vec(&json!({"seller_id": SELLER.parse::<u64>().unwrap(), "message_type": 2, "data": data})).unwrap()
}

fn hub(platform: &FakeServer, clock: Arc<ManualClock>) -> Hub {
    Hub::builder(MemoryStore::new())
        .channel(channel_id(), Arc::new(common::sending_channel(platform, clock.clone())))
        .clock(clock)
        .build()
}

async fn connected(hub: &Hub) -> ChannelAccount {
    let account = common::account();
    hub.ensure_account(&admin(&account), account, Some(TokenSet::new(ACCESS_TOKEN))).await.unwrap()
}

fn token() -> SecretString {
    SecretString::from(ACCESS_TOKEN)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_push_is_completed_from_the_order_api_with_folded_lines_total_buyer_and_tracking() {
    let platform = FakeServer::start().await.unwrap();
    let lazada = FakeLazada::new();
    lazada.books.lock().unwrap().orders.insert(ORDER_ID.into(), order_books());
    lazada.serve(&platform);
    let hub = hub(&platform, common::clock());
    let account = connected(&hub).await;
    let mut trade_order: serde_json::Value = serde_json::from_slice(&common::fixture("trade_order")).unwrap();
    trade_order["seller_id"] = json!(SELLER);
    let body = serde_json::to_vec(&trade_order).unwrap();
    let (receipt, _) = hub.receive_webhook(&channel_id(), &common::signed(&body)).await.unwrap();
    assert_eq!(receipt.stored, 1);

    // The push names only the status; the hub fetches the rest in the background.
    let mut order = hub.order(&agent(&account), account.id, ORDER_ID).await.unwrap();
    for _ in 0..100 {
        if order.buyer.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        order = hub.order(&agent(&account), account.id, ORDER_ID).await.unwrap();
    }
    assert_eq!(
        order.buyer.as_ref().map(|b| (b.id.as_str(), b.display_name.as_deref())),
        Some((BUYER_ID, Some("Somchai")))
    );
    assert_eq!(order.status, "ready_to_ship", "the fetched order is newer than the 2020 push");
    assert_eq!((order.total.as_deref(), order.currency.as_deref()), (Some("950.00"), Some("THB")));
    assert_eq!(order.tracking_number.as_deref(), Some("LXTH0012345678"));
    assert_eq!(order.created_at, Some(Timestamp::from_unix_seconds(1_731_986_100)));
    let items: Vec<(&str, u32, Option<&str>)> =
        order.items.iter().map(|i| (i.name.as_str(), i.quantity, i.unit_price.as_deref())).collect();
    assert_eq!(items, [("Thai silk scarf", 2, Some("450.00")), ("Gift box", 1, Some("50.00"))]);
    assert_eq!(order.items[0].sku.as_deref(), Some("SCARF-RED"));
    assert_eq!(order.history.len(), 1, "the push's status change");
    assert_eq!(lazada.books.lock().unwrap().calls, ["/order/get", "/order/items/get"]);

    // Another tenant sees none of it.
    let globex = Actor::user("globex".parse().unwrap(), "agent".parse().unwrap(), Role::Agent);
    assert_eq!(hub.order(&globex, account.id, ORDER_ID).await.unwrap_err().kind(), ErrorKind::NotFound);
    // Lazada lists orders by time only.
    let by_buyer = hub.refresh_buyer_orders(&agent(&account), account.id, BUYER_ID).await.unwrap_err();
    assert_eq!(by_buyer.kind(), ErrorKind::Unsupported);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_backfill_is_paged_and_a_message_pulled_and_pushed_is_stored_once() {
    let platform = FakeServer::start().await.unwrap();
    let lazada = FakeLazada::new();
    // 12 sessions of two messages each: two pages of 10 sessions.
    let sessions: Vec<(String, Vec<serde_json::Value>)> = (0..12)
        .map(|i| {
            let session = format!("100094063_2_10118227{i:02}_1_103");
            let messages = vec![
                listed(&format!("1zYOS7N0cuIqw9{i:02}01"), "Is this in stock?", NOW_MILLIS - 90_000),
                listed(&format!("1zYOS7N0cuIqw9{i:02}02"), "Hello?", NOW_MILLIS - 80_000),
            ];
            (session, messages)
        })
        .collect();
    let first_session = sessions[0].0.clone();
    lazada.books.lock().unwrap().sessions = sessions;
    lazada.serve(&platform);
    let hub = hub(&platform, common::clock());
    let account = connected(&hub).await;

    // Lazada pushed one message before the back-fill ran.
    let early = pushed(&first_session, "1zYOS7N0cuIqw90001", "Is this in stock?", NOW_MILLIS - 90_000);
    assert_eq!(hub.receive_webhook(&channel_id(), &common::signed(&early)).await.unwrap().0.stored, 1);

    let worker = HistoryWorker::new(hub.clone()).unwrap();
    let report = worker.backfill(&account).await.unwrap();
    assert_eq!((report.pages, report.events), (2, 24));
    assert!(report.finished);
    assert_eq!(report.stored + report.duplicates, 24);
    assert_eq!(report.duplicates, 1, "the pushed message was recognised");
    let calls = lazada.books.lock().unwrap().calls.clone();
    assert_eq!(calls.iter().filter(|c| *c == "/im/session/list").count(), 2);
    assert_eq!(calls.iter().filter(|c| *c == "/im/message/list").count(), 12);

    // A push lost earlier and recovered by the back-fill, delivered late: stored once.
    let late = pushed(&sessions_last(&lazada), "1zYOS7N0cuIqw91102", "Hello?", NOW_MILLIS - 80_000);
    let (receipt, _) = hub.receive_webhook(&channel_id(), &common::signed(&late)).await.unwrap();
    assert_eq!((receipt.stored, receipt.duplicates), (0, 1));
    let conversations = hub.conversations(&agent(&account), &ConversationQuery::new()).await.unwrap().items;
    assert_eq!(conversations.len(), 12);
    for conversation in &conversations {
        let messages = hub.messages(&agent(&account), conversation.id, &Default::default()).await.unwrap().items;
        assert_eq!(messages.len(), 2, "each message once");
    }
    // Finished: the next run pulls nothing.
    let again = worker.backfill(&account).await.unwrap();
    assert_eq!((again.pages, again.finished), (0, true));
}

fn sessions_last(lazada: &FakeLazada) -> String {
    lazada.books.lock().unwrap().sessions.last().unwrap().0.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_products_sync_into_the_tenants_catalog_page_by_page() {
    let platform = FakeServer::start().await.unwrap();
    let lazada = FakeLazada::new();
    let products: Vec<serde_json::Value> = (0..55u64)
        .map(|i| {
            json!({
                "item_id": 3_000_120_000u64 + i, "primary_category": 10_000_123, "status": "Active",
                "attributes": {"name": format!("Thai silk scarf no. {i}"), "brand": "No Brand"},
                "images": [format!("https://th-live.slatic.net/p/scarf-{i}.jpg")],
                "skus": [{"SellerSku": format!("SCARF-{i}"), "SkuId": 9_000_000 + i, "price": 450.0, "special_price": 399.0,
                          "quantity": 7, "Available": 7, "Status": "active",
                          "Url": format!("https://www.lazada.co.th/products/i{}.html", 3_000_120_000u64 + i), "Images": []},
                         {"SellerSku": format!("SCARF-{i}-B"), "SkuId": 9_100_000 + i, "price": 450.0, "special_price": 0.0,
                          "quantity": 3, "Available": 3, "Status": "active", "Images": []}]
            })
        })
        .collect();
    lazada.books.lock().unwrap().products = products;
    lazada.serve(&platform);
    let clock = common::clock();
    let config = unibox_channel_lazada::LazadaConfig::builder()
        .app_key(common::APP_KEY)
        .app_secret(common::APP_SECRET)
        .api_base_url(platform.url_for("/rest"))
        .currency("THB")
        .build()
        .unwrap();
    let client = unibox_core::http::ReqwestClient::with_timeouts(Duration::from_secs(2), Duration::from_millis(1500));
    let channel =
        unibox_channel_lazada::LazadaChannel::new(config).with_clock(clock.clone()).with_http_client(Arc::new(client));
    let hub = Hub::builder(MemoryStore::new()).channel(channel_id(), Arc::new(channel)).clock(clock).build();
    let account = connected(&hub).await;

    assert_eq!(hub.sync_catalog(&admin(&account), account.id).await.unwrap(), 55);
    let found = hub.search_products(&agent(&account), "scarf no. 54", 10).await.unwrap();
    assert_eq!(found.len(), 1);
    let product = &found[0];
    assert_eq!(product.product_id, "3000120054");
    assert_eq!(
        (product.price.as_deref(), product.currency.as_deref()),
        (Some("399.0"), Some("THB")),
        "the special price"
    );
    assert_eq!(product.stock, Some(10), "summed over SKUs");
    assert_eq!(product.link.as_ref().map(|u| u.as_str()), Some("https://www.lazada.co.th/products/i3000120054.html"));
    assert_eq!(product.image.as_ref().map(|u| u.as_str()), Some("https://th-live.slatic.net/p/scarf-54.jpg"));
    assert_eq!(lazada.books.lock().unwrap().calls, ["/products/get", "/products/get"], "50 and 5");
    let globex = Actor::user("globex".parse().unwrap(), "agent".parse().unwrap(), Role::Agent);
    assert!(hub.search_products(&globex, "scarf", 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn read_errors_map_to_kinds() {
    let platform = FakeServer::start().await.unwrap();
    let lazada = FakeLazada::new();
    lazada.books.lock().unwrap().orders.insert(ORDER_ID.into(), order_books());
    lazada.serve(&platform);
    let channel = common::sending_channel(&platform, common::clock());
    let account = common::account();

    lazada.books.lock().unwrap().fail_next = Some("ApiCallLimit".into());
    let limited = channel.fetch_order(&account, Some(&token()), ORDER_ID).await.unwrap_err();
    assert_eq!(limited.kind(), ErrorKind::RateLimited);
    assert!(limited.is_temporary());
    let wrong = SecretString::from("50000601c30atpedfgu3LVvik87Ixlsvle3mSoB.revoked");
    let invalid = channel.fetch_order(&account, Some(&wrong), ORDER_ID).await.unwrap_err();
    assert_eq!(invalid.kind(), ErrorKind::TokenInvalid);
    assert!(!format!("{invalid:?}").contains("revoked"), "the token never reaches the error");
    let unknown = channel.fetch_order(&account, Some(&token()), "260422900100000").await.unwrap_err();
    assert_eq!(unknown.kind(), ErrorKind::InvalidInput, "Lazada's E0xx order errors");
    let bad_id = channel.fetch_order(&account, Some(&token()), "1&x=2").await.unwrap_err();
    assert_eq!(bad_id.kind(), ErrorKind::InvalidInput);
    assert_eq!(channel.fetch_order(&account, None, ORDER_ID).await.unwrap_err().kind(), ErrorKind::Configuration);
    let position = channel.backfill(&account, Some(&token()), Some("not json")).await.unwrap_err();
    assert_eq!(position.kind(), ErrorKind::InvalidInput);
    let offset = channel.list_products(&account, Some(&token()), Some("-1")).await.unwrap_err();
    assert_eq!(offset.kind(), ErrorKind::InvalidInput);
}

/// The chat's contact is keyed by the IM session, the order by the buyer id; the session id
/// carries the buyer's account id, so the order shows under the chat's contact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buyers_order_shows_under_the_contact_of_their_chat() {
    let platform = FakeServer::start().await.unwrap();
    let lazada = FakeLazada::new();
    lazada.books.lock().unwrap().orders.insert(ORDER_ID.into(), order_books());
    lazada.serve(&platform);
    let hub = hub(&platform, common::clock());
    let account = connected(&hub).await;
    // The buyer writes first (session 100094063_2_1011822749_1_103), then orders.
    let chat = pushed(common::SESSION, "1zYOS7N0cuIqw96026", "Is the red scarf in stock?", NOW_MILLIS - 60_000);
    hub.receive_webhook(&channel_id(), &common::signed(&chat)).await.unwrap();
    // Another buyer's chat, whose contact must not see the order.
    let other = pushed("100094063_2_1099999999_1_103", "2aBCD8O1dvJrx07137", "Hello", NOW_MILLIS - 50_000);
    hub.receive_webhook(&channel_id(), &common::signed(&other)).await.unwrap();
    let mut trade_order: serde_json::Value = serde_json::from_slice(&common::fixture("trade_order")).unwrap();
    trade_order["seller_id"] = json!(SELLER);
    hub.receive_webhook(&channel_id(), &common::signed(&serde_json::to_vec(&trade_order).unwrap())).await.unwrap();

    let conversations = hub.conversations(&agent(&account), &ConversationQuery::new()).await.unwrap().items;
    assert_eq!(conversations.len(), 2);
    let mut contacts = Vec::new();
    for conversation in &conversations {
        let contact = hub.contact_profile(&agent(&account), conversation.contact).await.unwrap().contact;
        contacts.push((contact.identities[0].value.clone(), conversation.id, conversation.contact));
    }
    let (_, conversation, contact) = contacts.iter().find(|(session, ..)| session == common::SESSION).unwrap().clone();
    let (_, _, stranger) = contacts.iter().find(|(session, ..)| session != common::SESSION).unwrap().clone();

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
    assert_eq!(orders[0].buyer.as_ref().map(|b| b.id.as_str()), Some(BUYER_ID));
    let beside = hub.conversation_orders(&agent(&account), conversation).await.unwrap();
    assert_eq!(beside.len(), 1, "beside the chat too");
    assert!(hub.orders_of_contact(&agent(&account), stranger).await.unwrap().is_empty(), "another buyer's chat");
    let globex = Actor::user("globex".parse().unwrap(), "agent".parse().unwrap(), Role::Agent);
    assert_eq!(hub.orders_of_contact(&globex, contact).await.unwrap_err().kind(), ErrorKind::NotFound);
}
