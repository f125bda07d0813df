//! The inbox's own tools ([`InboxTools`]) on the SQLite store, in a full round trip against the
//! loopback fake providers: the customer asks about an order, the model calls `list_orders`,
//! gets this customer's orders only (not another buyer's, with no personal data), and answers;
//! the answer is sent. The catalog's `search_products` the same way.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{ANTHROPIC_KEY, OPENAI_KEY, Provider, World, always_rules, answer, tenant};
use serde_json::{Value, json};
use unibox_ai::{
    AnthropicResponder, ApiKeys, AutoReplyOutcome, AutoReplyWorker, ContextTools, InboxTools, KeyScope, OpenAiResponder,
};
use unibox_core::catalog::{CatalogStore, Product};
use unibox_core::inbox::InboxReads;
use unibox_core::orders::{Order, OrderItem, OrderStore};
use unibox_core::{Content, ErrorKind, PlatformUser, Timestamp};
use unibox_testkit::http::{RecordedRequest, ScriptedResponse};

/// A world whose responder offers the inbox's tools, with two orders of the customer and one
/// of another buyer in the store, and one product.
async fn world_with_orders(kind: Provider) -> (World, Arc<dyn unibox_core::ai::Responder>) {
    let world = World::new(kind).await;
    world.customer_writes("cust-1", "Where is my order? I paid last week.").await;
    let conversation = world.conversation().await;
    let contact = world.hub.store().reads.contact(&tenant(), conversation.contact).await.unwrap();
    let identity = contact.identities[0].clone();
    let buyer = PlatformUser::new(identity.kind.clone(), identity.value.clone());
    let at = Timestamp::from_unix_seconds(1_732_000_000);
    let mine = Order::new(tenant(), identity.account, "TH-20931", "shipped", at)
        .with_buyer(buyer.clone().with_name("Somchai P."))
        .with_item(OrderItem::new("Standing desk", 1).with_unit_price("8900.00"))
        .with_total("8900.00", "THB")
        .with_tracking_number("TRACK-5512");
    let older =
        Order::new(tenant(), identity.account, "TH-18800", "completed", Timestamp::from_unix_seconds(1_731_000_000))
            .with_buyer(buyer);
    let theirs = Order::new(tenant(), identity.account, "TH-77777", "unpaid", at)
        .with_buyer(PlatformUser::new(identity.kind.clone(), "cust-other"));
    for order in [mine, older, theirs] {
        world.inbox.merge_order(order).await.unwrap();
    }
    let desk = Product::new(tenant(), identity.account, "P-100", "Standing desk, oak", at)
        .with_price("8900.00", "THB")
        .with_stock(4);
    world.inbox.save_products(&[desk]).await.unwrap();

    let keys = ApiKeys::new(world.hub.tokens().clone(), KeyScope::EachTenant);
    let http =
        Arc::new(unibox_core::http::ReqwestClient::with_timeouts(Duration::from_secs(2), Duration::from_secs(10)));
    let tools = Arc::new(InboxTools::new(world.hub.clone()));
    let config = common::config(kind, &world.provider);
    let responder: Arc<dyn unibox_core::ai::Responder> = match kind {
        Provider::OpenAi => Arc::new(OpenAiResponder::new(http, config, keys).with_tools(tools)),
        Provider::Anthropic => Arc::new(AnthropicResponder::new(http, config, keys).with_tools(tools)),
    };
    (world, responder)
}

/// The model's answer calling `tool` with `arguments`.
fn tool_call(kind: Provider, tool: &str, arguments: Value) -> ScriptedResponse {
    match kind {
        Provider::OpenAi => ScriptedResponse::json(
            200,
            &json!({
                "id": "resp_1", "status": "completed",
                "output": [{"type": "function_call", "id": "fc_1", "call_id": "call_7Hq2", "name": tool,
                            "arguments": arguments.to_string(), "status": "completed"}],
                "usage": {"input_tokens": 60, "output_tokens": 12}
            }),
        ),
        Provider::Anthropic => ScriptedResponse::json(
            200,
            &json!({
                "id": "msg_1", "type": "message", "role": "assistant", "stop_reason": "tool_use",
                "content": [{"type": "tool_use", "id": "toolu_7Hq2", "name": tool, "input": arguments}],
                "usage": {"input_tokens": 60, "output_tokens": 12}
            }),
        ),
    }
}

/// The tool result the second request carried back to the model.
fn tool_result(kind: Provider, request: &RecordedRequest) -> Value {
    let body = request.json().unwrap();
    let text = match kind {
        Provider::OpenAi => {
            let input = body["input"].as_array().unwrap();
            let output = input.iter().find(|item| item["type"] == "function_call_output").expect("a tool output");
            assert_eq!(output["call_id"], "call_7Hq2");
            output["output"].as_str().unwrap().to_owned()
        }
        Provider::Anthropic => {
            let messages = body["messages"].as_array().unwrap();
            let result = &messages.last().unwrap()["content"][0];
            assert_eq!(
                (result["type"].as_str(), result["tool_use_id"].as_str()),
                (Some("tool_result"), Some("toolu_7Hq2"))
            );
            result["content"].as_str().unwrap().to_owned()
        }
    };
    serde_json::from_str(&text).unwrap()
}

fn offered_tools(kind: Provider, request: &RecordedRequest) -> Vec<String> {
    let body = request.json().unwrap();
    let _ = kind;
    body["tools"].as_array().unwrap().iter().map(|tool| tool["name"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn the_model_asks_for_the_customer_s_orders_gets_them_and_answers() {
    for kind in [Provider::OpenAi, Provider::Anthropic] {
        let (world, responder) = world_with_orders(kind).await;
        world.provider.enqueue(tool_call(kind, "list_orders", json!({})));
        world
            .provider
            .enqueue(common::provider_text(kind, &answer("TOOL-REPLY-4410 TH-20931 has shipped: TRACK-5512.", 0.93)));

        let worker = AutoReplyWorker::new(world.hub.clone(), tenant(), responder, world.rules(always_rules())).unwrap();
        let conversation = world.conversation().await;
        let outcome = worker.handle(world.newest_message(&conversation).await).await.unwrap();
        let AutoReplyOutcome::Replied { message, .. } = outcome else { panic!("{kind:?}: {outcome:?}") };
        let sent = world.inbox.message(&tenant(), message).await.unwrap();
        assert_eq!(sent.content, Content::text("TOOL-REPLY-4410 TH-20931 has shipped: TRACK-5512."));

        let requests = world.provider.requests();
        assert_eq!(requests.len(), 2, "{kind:?}: the tool call, then the answer");
        assert_eq!(offered_tools(kind, &requests[0]), ["list_orders", "get_order", "search_products"]);
        let result = tool_result(kind, &requests[1]);
        let orders = result["orders"].as_array().unwrap();
        let ids: Vec<&str> = orders.iter().map(|o| o["order_id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["TH-20931", "TH-18800"], "{kind:?}: this customer's orders, newest first, no one else's");
        assert_eq!(orders[0]["status"], "shipped");
        assert_eq!(orders[0]["tracking_number"], "TRACK-5512");
        assert_eq!(orders[0]["items"][0]["name"], "Standing desk");
        assert_eq!(orders[0]["total"], "8900.00");
        let second = String::from_utf8_lossy(&requests[1].body).into_owned();
        assert!(!second.contains("TH-77777") && !second.contains("cust-other"), "another buyer's order leaked");
        assert!(orders.iter().all(|o| o.get("buyer").is_none()), "no buyer details in results");
        for key in [OPENAI_KEY, ANTHROPIC_KEY] {
            assert!(!second.contains(key));
        }
    }
}

#[tokio::test]
async fn one_order_is_found_only_among_the_customer_s_own_and_products_by_title() {
    let kind = Provider::OpenAi;
    let (world, responder) = world_with_orders(kind).await;
    let conversation = world.conversation().await;
    let tools = InboxTools::new(world.hub.clone());

    let found =
        tools.call(&tenant(), conversation.contact, "get_order", &json!({"order_id": "#th-20931"})).await.unwrap();
    assert_eq!(found["order_id"], "TH-20931");
    let not_mine = tools.call(&tenant(), conversation.contact, "get_order", &json!({"order_id": "TH-77777"})).await;
    assert_eq!(not_mine.unwrap_err().kind(), ErrorKind::NotFound, "another buyer's order is not found, not shown");
    let other_tenant = tools.call(&"globex".parse().unwrap(), conversation.contact, "list_orders", &json!({})).await;
    assert!(other_tenant.is_err(), "a contact of another tenant is not read");
    let missing = tools.call(&tenant(), conversation.contact, "get_order", &json!({})).await;
    assert_eq!(missing.unwrap_err().kind(), ErrorKind::InvalidInput);
    let unknown = tools.call(&tenant(), conversation.contact, "drop_tables", &json!({})).await;
    assert_eq!(unknown.unwrap_err().kind(), ErrorKind::NotFound);

    // Through the model: a product search, and the error of a missing argument told by kind only.
    world.provider.enqueue(tool_call(kind, "search_products", json!({"query": "standing desk"})));
    world.provider.enqueue(common::openai_text(&answer("The oak standing desk is in stock (4).", 0.9)));
    let worker = AutoReplyWorker::new(world.hub.clone(), tenant(), responder, world.rules(always_rules())).unwrap();
    let outcome = worker.handle(world.newest_message(&conversation).await).await.unwrap();
    assert!(matches!(outcome, AutoReplyOutcome::Replied { .. }), "{outcome:?}");
    let result = tool_result(kind, &world.provider.requests()[1]);
    assert_eq!(result["products"][0]["product_id"], "P-100");
    assert_eq!(result["products"][0]["stock"], 4);
    assert_eq!(result["products"][0]["price"], "8900.00");
}

#[tokio::test]
async fn a_store_without_orders_or_catalog_offers_no_tools() {
    let mut store: unibox_core::store::Store = unibox_core::memory::MemoryStore::new().into();
    store.orders = None;
    store.catalog = None;
    let hub = unibox_core::Hub::builder(store).build();
    assert!(InboxTools::new(hub).definitions().is_empty());
}
