//! [`InboxTools`]: the tools the inbox itself answers, from the store bundle's orders and
//! catalog, read through the hub as the automation (policy and tenant scope apply).

use serde_json::{Value, json};
use unibox_core::catalog::Product;
use unibox_core::orders::Order;
use unibox_core::{Actor, ContactId, Error, ErrorKind, Hub, Result, TenantId};

use super::{ContextTools, ToolDefinition};
use crate::worker::AUTOMATION;

/// The tool listing the customer's orders.
pub const LIST_ORDERS: &str = "list_orders";
/// The tool reading one of the customer's orders by its id.
pub const GET_ORDER: &str = "get_order";
/// The tool searching the shop's products.
pub const SEARCH_PRODUCTS: &str = "search_products";

/// The most orders one `list_orders` call returns (the most recently updated).
const MAX_ORDERS: usize = 10;
/// The most products one `search_products` call returns.
const MAX_PRODUCTS: usize = 5;

/// The customer's orders and the shop's products as tools the model may call, answered from the
/// hub's store: `list_orders` and `get_order` from its orders
/// ([`Hub::orders_of_contact`]: only orders of the conversation's own contact, by any of their
/// identities), `search_products` from its catalog ([`Hub::search_products`]). A tool is offered
/// only when the store keeps what it reads. Results carry what a customer would be told (status,
/// items, totals, tracking, price, stock), never the buyer's own details, and are redacted
/// before they reach the provider like every tool result.
///
/// ```no_run
/// # fn show(hub: unibox_core::Hub, http: std::sync::Arc<dyn unibox_core::http::HttpClient>, keys: unibox_ai::ApiKeys) {
/// use std::sync::Arc;
/// use unibox_ai::{InboxTools, OpenAiResponder, ProviderConfig};
/// let responder = OpenAiResponder::new(http, ProviderConfig::openai("gpt-5.4-mini"), keys)
///     .with_tools(Arc::new(InboxTools::new(hub)));
/// # drop(responder); }
/// ```
#[derive(Clone, Debug)]
pub struct InboxTools {
    hub: Hub,
}

impl InboxTools {
    /// The tools of `hub`'s store.
    pub fn new(hub: Hub) -> Self {
        InboxTools { hub }
    }

    fn reader(tenant: &TenantId) -> Actor {
        Actor::automation(tenant.clone(), AUTOMATION)
    }

    async fn orders(&self, tenant: &TenantId, buyer: ContactId) -> Result<Vec<Order>> {
        self.hub.orders_of_contact(&Self::reader(tenant), buyer).await
    }
}

fn order_json(order: &Order) -> Value {
    let items: Vec<Value> = order
        .items
        .iter()
        .map(|item| json!({"name": item.name, "quantity": item.quantity, "unit_price": item.unit_price}))
        .collect();
    json!({
        "order_id": order.order_id,
        "status": order.status,
        "items": items,
        "total": order.total,
        "currency": order.currency,
        "tracking_number": order.tracking_number,
        "placed_at": order.created_at.map(|at| at.to_string()),
        "updated_at": order.updated_at.to_string(),
    })
}

fn product_json(product: &Product) -> Value {
    json!({
        "product_id": product.product_id,
        "title": product.title,
        "price": product.price,
        "currency": product.currency,
        "stock": product.stock,
        "link": product.link.as_ref().map(|link| link.as_str()),
    })
}

fn argument<'a>(arguments: &'a Value, name: &str) -> Result<&'a str> {
    arguments[name]
        .as_str()
        .map(str::trim)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| Error::new(ErrorKind::InvalidInput, format!("the tool needs a non-empty `{name}`")))
}

#[async_trait::async_trait]
impl ContextTools for InboxTools {
    fn definitions(&self) -> Vec<ToolDefinition> {
        let store = self.hub.store();
        let mut tools = Vec::new();
        if store.orders.is_some() {
            tools.push(ToolDefinition::new(
                LIST_ORDERS,
                "List the customer's recent orders, most recently updated first: id, status, items, total, tracking number.",
                json!({"type": "object", "properties": {}, "additionalProperties": false}),
            ));
            tools.push(ToolDefinition::new(
                GET_ORDER,
                "Read one of the customer's orders by its order id.",
                json!({
                    "type": "object",
                    "properties": {"order_id": {"type": "string", "description": "The order id the customer gave"}},
                    "required": ["order_id"],
                    "additionalProperties": false
                }),
            ));
        }
        if store.catalog.is_some() {
            tools.push(ToolDefinition::new(
                SEARCH_PRODUCTS,
                "Search the shop's products by words of their title: price, stock and link.",
                json!({
                    "type": "object",
                    "properties": {"query": {"type": "string", "description": "Words of the product's title"}},
                    "required": ["query"],
                    "additionalProperties": false
                }),
            ));
        }
        tools
    }

    async fn call(&self, tenant: &TenantId, buyer: ContactId, name: &str, arguments: &Value) -> Result<Value> {
        match name {
            LIST_ORDERS => {
                let orders = self.orders(tenant, buyer).await?;
                Ok(json!({"orders": orders.iter().take(MAX_ORDERS).map(order_json).collect::<Vec<_>>()}))
            }
            GET_ORDER => {
                let wanted = argument(arguments, "order_id")?;
                let wanted = wanted.trim_start_matches('#');
                // Only among the customer's own orders: the model names an order, never whose.
                let orders = self.orders(tenant, buyer).await?;
                let order = orders.iter().find(|order| order.order_id.eq_ignore_ascii_case(wanted));
                order.map(order_json).ok_or_else(|| {
                    Error::new(ErrorKind::NotFound, "the customer has no order with that id").with_operation("ai.tools")
                })
            }
            SEARCH_PRODUCTS => {
                let query = argument(arguments, "query")?;
                let products = self.hub.search_products(&Self::reader(tenant), query, MAX_PRODUCTS).await?;
                Ok(json!({"products": products.iter().map(product_json).collect::<Vec<_>>()}))
            }
            other => {
                Err(Error::new(ErrorKind::NotFound, format!("no tool named {other:?}")).with_operation("ai.tools"))
            }
        }
    }
}
