//! Meta catalog sync: the number's catalog (`GET /{catalog-id}/products`) read page by page
//! from a loopback fake of the Graph API, which checks the Bearer token, `appsecret_proof` and
//! the fields asked for, into the tenant's catalog, searchable and sendable as a product card.

mod common;

use std::sync::{Arc, Mutex};

use serde_json::json;
use unibox_channel_meta::AppSecret;
use unibox_channel_whatsapp::{WhatsAppChannel, WhatsAppConfig};
use unibox_core::memory::MemoryStore;
use unibox_core::{Actor, Channel, ErrorKind, Hub, Role, TokenSet};
use unibox_testkit::http::{FakeServer, ScriptedResponse};

use common::{ACCESS_TOKEN, APP_SECRET, PHONE_NUMBER_ID, VERIFY_TOKEN};

const CATALOG: &str = "354160437058781";
const FIELDS: &str = "id,retailer_id,name,price,currency,image_url,url,availability,inventory";

/// The catalog's products as Graph lists them: 120 desks and mats, with display prices.
fn products() -> Vec<serde_json::Value> {
    (0..120u64)
        .map(|i| {
            json!({"id": (7_013_514_192_013_000u64 + i).to_string(), "retailer_id": format!("SKU-DESK-{i:03}"),
                   "name": format!("Standing desk {i}"), "price": "$1,459.00", "currency": "USD",
                   "image_url": format!("https://scontent.xx.fbcdn.net/desk-{i}.jpg"),
                   "url": format!("https://shop.example.com/desks/{i}"),
                   "availability": if i % 2 == 0 { "in stock" } else { "out of stock" },
                   "inventory": if i % 2 == 0 { Some(5) } else { None }})
        })
        .collect()
}

/// Serves `/v23.0/{CATALOG}/products` in pages of `limit`, cursors `c{offset}`; records queries.
fn serve_catalog(graph: &FakeServer) -> Arc<Mutex<Vec<String>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let recorded = seen.clone();
    let all = products();
    let proof = AppSecret::new(APP_SECRET).appsecret_proof(&secrecy::SecretString::from(ACCESS_TOKEN));
    graph.respond_with(move |request| {
        let query: std::collections::HashMap<String, String> =
            url::form_urlencoded::parse(request.query().unwrap_or("").as_bytes()).into_owned().collect();
        recorded.lock().unwrap().push(request.query().unwrap_or("").to_owned());
        let authorized = request.header("authorization") == Some(format!("Bearer {ACCESS_TOKEN}").as_str())
            && query.get("appsecret_proof") == Some(&proof);
        if !authorized {
            return ScriptedResponse::json(
                401,
                &json!({"error": {"message": "Invalid OAuth access token.", "type": "OAuthException", "code": 190, "fbtrace_id": "AbC"}}),
            );
        }
        if request.path() != format!("/v23.0/{CATALOG}/products") || query.get("fields").map(String::as_str) != Some(FIELDS) {
            return ScriptedResponse::json(
                400,
                &json!({"error": {"message": "Unsupported get request.", "type": "GraphMethodException", "code": 100, "fbtrace_id": "AbD"}}),
            );
        }
        let limit: usize = query.get("limit").and_then(|l| l.parse().ok()).unwrap_or(25);
        let start: usize = query.get("after").and_then(|a| a.strip_prefix('c')?.parse().ok()).unwrap_or(0);
        let page: Vec<&serde_json::Value> = all.iter().skip(start).take(limit).collect();
        let end = start + page.len();
        let mut paging = json!({"cursors": {"before": format!("c{start}"), "after": format!("c{end}")}});
        if end < all.len() {
            paging["next"] = json!(format!("https://graph.facebook.com/v23.0/{CATALOG}/products?after=c{end}"));
        }
        ScriptedResponse::json(200, &json!({"data": page, "paging": paging}))
    });
    seen
}

fn channel(graph: &FakeServer, with_catalog: bool) -> WhatsAppChannel {
    let mut builder =
        WhatsAppConfig::builder().app_secret(APP_SECRET).verify_token(VERIFY_TOKEN).graph_base_url(graph.url());
    if with_catalog {
        builder = builder.catalog(PHONE_NUMBER_ID, CATALOG);
    }
    let client = unibox_core::http::ReqwestClient::with_timeouts(
        std::time::Duration::from_secs(2),
        std::time::Duration::from_secs(5),
    );
    WhatsAppChannel::new(builder.build().unwrap()).with_http_client(Arc::new(client)).with_clock(common::clock())
}

#[tokio::test]
async fn the_numbers_catalog_syncs_into_the_tenants_catalog_page_by_page() {
    let graph = FakeServer::start().await.unwrap();
    let seen = serve_catalog(&graph);
    let channel_id: unibox_core::ChannelId = "acme-whatsapp".parse().unwrap();
    let hub = Hub::builder(MemoryStore::new()).channel(channel_id, Arc::new(channel(&graph, true))).build();
    let account = common::account();
    let admin = Actor::user(account.tenant.clone(), "admin".parse().unwrap(), Role::Admin);
    let account = hub.ensure_account(&admin, account, Some(TokenSet::new(ACCESS_TOKEN))).await.unwrap();

    assert_eq!(hub.sync_catalog(&admin, account.id).await.unwrap(), 120);
    assert_eq!(seen.lock().unwrap().len(), 2, "pages of 100 and 20");
    let agent = Actor::user(account.tenant.clone(), "agent".parse().unwrap(), Role::Agent);
    let found = hub.search_products(&agent, "standing desk 117", 5).await.unwrap();
    assert_eq!(found.len(), 1);
    let desk = &found[0];
    assert_eq!(desk.product_id, "SKU-DESK-117", "the retailer id, as carts name it");
    assert_eq!((desk.price.as_deref(), desk.currency.as_deref()), (Some("1459.00"), Some("USD")));
    assert_eq!(desk.stock, Some(0), "out of stock");
    assert_eq!(desk.link.as_ref().map(|u| u.as_str()), Some("https://shop.example.com/desks/117"));
    assert_eq!(desk.image.as_ref().map(|u| u.as_str()), Some("https://scontent.xx.fbcdn.net/desk-117.jpg"));
    let stocked = hub.search_products(&agent, "SKU-DESK-116", 5).await.unwrap();
    assert_eq!(stocked[0].stock, Some(5));
    let globex = Actor::user("globex".parse().unwrap(), "agent".parse().unwrap(), Role::Agent);
    assert!(hub.search_products(&globex, "desk", 5).await.unwrap().is_empty());
}

#[tokio::test]
async fn without_a_catalog_there_is_no_source_and_a_refused_token_is_token_invalid() {
    let graph = FakeServer::start().await.unwrap();
    serve_catalog(&graph);
    assert!(channel(&graph, false).catalog().is_none());
    let with = channel(&graph, true);
    let source = with.catalog().unwrap();
    let account = common::account();
    let wrong = secrecy::SecretString::from("EAAGwrong");
    assert_eq!(source.list_products(&account, Some(&wrong), None).await.unwrap_err().kind(), ErrorKind::TokenInvalid);
    assert_eq!(source.list_products(&account, None, None).await.unwrap_err().kind(), ErrorKind::Configuration);
    let mut other = common::account();
    other.platform_account_id = "106540352249999".into();
    let token = secrecy::SecretString::from(ACCESS_TOKEN);
    assert_eq!(source.list_products(&other, Some(&token), None).await.unwrap_err().kind(), ErrorKind::Configuration);
}

/// The exact body of a single-product message WhatsApp's Cloud API documents.
fn expected_product_message(catalog: &str) -> serde_json::Value {
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": common::CUSTOMER,
        "type": "interactive",
        "interactive": {
            "type": "product",
            "body": { "text": "Standing desk 117" },
            "action": { "catalog_id": catalog, "product_retailer_id": "SKU-DESK-117" }
        }
    })
}

#[tokio::test]
async fn a_product_from_the_catalog_goes_out_as_a_single_product_message() {
    let graph = FakeServer::start().await.unwrap();
    let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let answered = counter.clone();
    graph.respond_with(move |request| {
        if request.path() != format!("/v23.0/{}/messages", PHONE_NUMBER_ID) {
            return ScriptedResponse::json(404, &json!({"error": {"message": "Unknown path", "code": 100}}));
        }
        let mut body = request.json().unwrap_or_default();
        // unibox's own message id, echoed in statuses: present, then compared without it.
        if body.as_object_mut().and_then(|b| b.remove("biz_opaque_callback_data")).is_none()
            || body != expected_product_message(CATALOG)
        {
            return ScriptedResponse::json(
                400,
                &json!({"error": {"message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100, "fbtrace_id": "AbE"}}),
            );
        }
        common::graph_messages_endpoint(&answered, request)
    });
    let with = channel(&graph, true);
    assert!(with.capabilities().send.contains(unibox_core::ContentKind::Product));
    let account = common::account();
    let customer = common::customer(&account);
    let product = unibox_core::Content::Product {
        product_id: "SKU-DESK-117".into(),
        name: Some("Standing desk 117".into()),
        url: None,
    };
    let token = secrecy::SecretString::from(ACCESS_TOKEN);
    let request = unibox_core::channel::SendRequest::new(&account, &customer, &product, unibox_core::MessageId::new())
        .with_access_token(Some(&token));
    let receipt = with.send(&request).await.unwrap();
    assert!(receipt.platform_message_id.starts_with("wamid."), "{receipt:?}");
    assert_eq!(graph.request_count(), 1);

    // Without a catalog for the number: a typed refusal before any call, never a silent drop.
    let without = channel(&graph, false);
    assert!(!without.capabilities().send.contains(unibox_core::ContentKind::Product));
    let refused = without.send(&request).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Unsupported);
    assert!(refused.to_string().contains("catalog"), "{refused}");
    let empty = unibox_core::Content::Product { product_id: " ".into(), name: None, url: None };
    let request = unibox_core::channel::SendRequest::new(&account, &customer, &empty, unibox_core::MessageId::new())
        .with_access_token(Some(&token));
    assert_eq!(with.send(&request).await.unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(graph.request_count(), 1, "refused sends call nothing");
}

/// The agent's path end to end: the customer writes, the catalog is synced, the agent finds a
/// desk and `Hub::send_product` sends it as a product message the fake Graph API checks.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_finds_a_product_and_sends_it_on_the_customers_whatsapp_chat() {
    let graph = FakeServer::start().await.unwrap();
    let counter = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let answered = counter.clone();
    let all = products();
    graph.respond_with(move |request| {
        if request.path() == format!("/v23.0/{CATALOG}/products") {
            return ScriptedResponse::json(
                200,
                &json!({"data": all[115..118], "paging": {"cursors": {"after": "c3"}}}),
            );
        }
        let mut body = request.json().unwrap_or_default();
        body.as_object_mut().map(|b| b.remove("biz_opaque_callback_data"));
        if body != expected_product_message(CATALOG) {
            return ScriptedResponse::json(
                400,
                &json!({"error": {"message": "(#100) Invalid parameter", "code": 100}}),
            );
        }
        common::graph_messages_endpoint(&answered, request)
    });
    let channel_id: unibox_core::ChannelId = "acme-whatsapp".parse().unwrap();
    let hub = Hub::builder(MemoryStore::new())
        .channel(channel_id.clone(), Arc::new(channel(&graph, true)))
        .clock(common::clock())
        .build();
    let account = common::account();
    let admin = Actor::user(account.tenant.clone(), "admin".parse().unwrap(), Role::Admin);
    let agent = Actor::user(account.tenant.clone(), "agent".parse().unwrap(), Role::Agent);
    let account = hub.ensure_account(&admin, account, Some(TokenSet::new(ACCESS_TOKEN))).await.unwrap();
    let text = json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages",
        "value": {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID},
            "contacts": [{"profile": {"name": "Sheena Nelson"}, "wa_id": common::CUSTOMER}],
            "messages": [{"from": common::CUSTOMER, "id": "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQVdJTjAy",
                "timestamp": (common::NOW - 60).to_string(), "type": "text", "text": {"body": "Do you have standing desks?"}}]}}]}]});
    let response = hub.handle_webhook(&channel_id, common::signed(APP_SECRET, text.to_string().as_bytes())).await;
    assert_eq!(response.status.as_u16(), 200);
    let conversation =
        hub.conversations(&agent, &unibox_core::inbox::ConversationQuery::new()).await.unwrap().items[0].id;

    assert_eq!(hub.sync_catalog(&admin, account.id).await.unwrap(), 3);
    let found = hub.search_products(&agent, "standing desk 117", 1).await.unwrap();
    let sent = hub.send_product(&agent, conversation, account.id, &found[0].product_id).await.unwrap();
    assert_eq!(sent.delivery, unibox_core::DeliveryStatus::Sent, "{sent:?}");
    assert_eq!(counter.load(std::sync::atomic::Ordering::SeqCst), 1, "one product message went out");
}
