//! Context the model may ask for while it answers: the buyer's orders, a product's stock.
//! [`InboxTools`] answers them from the store's orders and catalog; an application may
//! implement [`ContextTools`] itself. The providers offer the tools to the model and run the
//! calls it makes. Every result is redacted before it goes back to the provider.

mod inbox;

pub use inbox::{GET_ORDER, InboxTools, LIST_ORDERS, SEARCH_PRODUCTS};

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use unibox_core::{ContactId, Result, TenantId};

/// A tool the model may call: a name, what it does, and the JSON Schema of its arguments.
///
/// ```
/// use unibox_ai::ToolDefinition;
/// let tool = ToolDefinition::new("lookup_order", "Look up one of the customer's orders by its number", serde_json::json!({
///     "type": "object",
///     "properties": {"order_id": {"type": "string"}},
///     "required": ["order_id"],
///     "additionalProperties": false
/// }));
/// assert_eq!(tool.name, "lookup_order");
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ToolDefinition {
    /// The name the model calls it by (`[a-zA-Z0-9_-]`, at most 64 characters).
    pub name: String,
    /// When to use it, for the model.
    pub description: String,
    /// The JSON Schema of the arguments (an object schema).
    pub parameters: serde_json::Value,
}

impl ToolDefinition {
    /// A tool.
    pub fn new(name: impl Into<String>, description: impl Into<String>, parameters: serde_json::Value) -> Self {
        ToolDefinition { name: name.into(), description: description.into(), parameters }
    }
}

/// The tools of a deployment. A call is always scoped to the conversation's tenant and customer:
/// the model names an order, never whose.
///
/// ```
/// use unibox_ai::{ContextTools, ToolDefinition};
/// use unibox_core::{async_trait, ContactId, Error, ErrorKind, TenantId};
///
/// #[derive(Debug)]
/// struct Orders;
///
/// #[async_trait]
/// impl ContextTools for Orders {
///     fn definitions(&self) -> Vec<ToolDefinition> {
///         vec![ToolDefinition::new("lookup_order", "Look up an order by number", serde_json::json!({
///             "type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"]
///         }))]
///     }
///     async fn call(&self, _tenant: &TenantId, _buyer: ContactId, name: &str, arguments: &serde_json::Value)
///         -> unibox_core::Result<serde_json::Value> {
///         match (name, arguments["order_id"].as_str()) {
///             ("lookup_order", Some("1042")) => Ok(serde_json::json!({"status": "shipped"})),
///             _ => Err(Error::new(ErrorKind::NotFound, "no such order")),
///         }
///     }
/// }
/// assert_eq!(Orders.definitions().len(), 1);
/// ```
#[async_trait]
pub trait ContextTools: Send + Sync + fmt::Debug + 'static {
    /// The tools offered to the model.
    fn definitions(&self) -> Vec<ToolDefinition>;

    /// Runs tool `name` for `buyer` of `tenant` with the model's `arguments`. An error is told
    /// to the model as the tool's result (its kind only), so it can answer without it.
    async fn call(
        &self,
        tenant: &TenantId,
        buyer: ContactId,
        name: &str,
        arguments: &serde_json::Value,
    ) -> Result<serde_json::Value>;
}

/// Runs one tool call and returns what goes back to the provider: the result as JSON text,
/// redacted, or an error naming only the error's kind.
pub(crate) async fn run_tool(
    tools: &dyn ContextTools,
    tenant: &TenantId,
    buyer: ContactId,
    name: &str,
    arguments: &serde_json::Value,
) -> (String, bool) {
    match tools.call(tenant, buyer, name, arguments).await {
        Ok(value) => (unibox_core::privacy::redact(&value.to_string()).into_owned(), false),
        Err(error) => {
            tracing::debug!(target: "unibox::ai", tool = name, kind = error.kind().as_str(), "a tool call failed");
            (serde_json::json!({"error": error.kind().as_str()}).to_string(), true)
        }
    }
}
