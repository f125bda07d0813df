//! Anthropic's Messages API (`POST {base}/v1/messages`): the system prompt on top, alternating
//! user and assistant turns, tool uses answered with tool results in the next user turn.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use http::HeaderValue;
use http::header::CONTENT_TYPE;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use unibox_core::ai::{Responder, ResponderOutput, ResponderRequest, TokenUsage};
use unibox_core::http::{HttpClient, HttpRequest, url_under};
use unibox_core::{Error, ErrorKind, Result};

use super::retry::{Failure, call, retry_after};
use super::{MAX_TOOL_ROUNDS, ProviderConfig};
use crate::ApiKeys;
use crate::prompt::{parse_answer, provider_turns, system_prompt};
use crate::tools::{ContextTools, run_tool};

/// The provider name: the vault slot of its key and the `provider` context of its errors.
const PROVIDER: &str = "anthropic";
/// The API version every request names.
pub(crate) const ANTHROPIC_VERSION: &str = "2023-06-01";

/// A [`Responder`] on Anthropic's Messages API.
///
/// ```
/// use std::sync::Arc;
/// use unibox_ai::{AnthropicResponder, ApiKeys, KeyScope, ProviderConfig};
/// use unibox_core::memory::MemoryTokenStore;
/// # #[derive(Debug)] struct Http;
/// # #[unibox_core::async_trait] impl unibox_core::http::HttpClient for Http {
/// #     async fn execute(&self, _: unibox_core::http::HttpRequest) -> Result<unibox_core::http::HttpResponse, unibox_core::http::HttpError> { Err(unibox_core::http::HttpError::new(unibox_core::http::HttpErrorKind::Connect, "this example has no network")) }
/// # }
/// let keys = ApiKeys::new(Arc::new(MemoryTokenStore::new()), KeyScope::EachTenant);
/// let responder = AnthropicResponder::new(Arc::new(Http), ProviderConfig::anthropic("claude-sonnet-4-5"), keys);
/// assert_eq!(unibox_core::ai::Responder::name(&responder), "anthropic");
/// ```
#[derive(Clone, Debug)]
pub struct AnthropicResponder {
    http: Arc<dyn HttpClient>,
    config: ProviderConfig,
    keys: ApiKeys,
    tools: Option<Arc<dyn ContextTools>>,
}

impl AnthropicResponder {
    /// A responder calling `config.base_url` through `http` with the key stored under
    /// `"anthropic"` in `keys`.
    pub fn new(http: Arc<dyn HttpClient>, config: ProviderConfig, keys: ApiKeys) -> Self {
        AnthropicResponder { http, config, keys, tools: None }
    }

    /// Offers `tools` to the model.
    pub fn with_tools(mut self, tools: Arc<dyn ContextTools>) -> Self {
        self.tools = Some(tools);
        self
    }

    fn build(&self, key: &SecretString, body: &Bytes) -> Result<HttpRequest> {
        let url = url_under(&self.config.base_url, "v1/messages")
            .map_err(|e| Error::new(ErrorKind::Configuration, format!("invalid Anthropic base URL: {e}")))?;
        let mut api_key = HeaderValue::try_from(key.expose_secret()).map_err(|_| {
            Error::new(ErrorKind::Configuration, "the stored Anthropic API key is not a valid header value")
        })?;
        api_key.set_sensitive(true);
        http::Request::post(url.as_str())
            .header("x-api-key", api_key)
            .header("anthropic-version", ANTHROPIC_VERSION)
            .header(CONTENT_TYPE, "application/json")
            .body(body.clone())
            .map_err(|e| Error::new(ErrorKind::Configuration, format!("could not build the Anthropic request: {e}")))
    }
}

/// Anthropic's error table: the status, then the body's `error.type`.
fn classify(failure: &Failure<'_>) -> Error {
    let body: Value = serde_json::from_slice(failure.body).unwrap_or(Value::Null);
    let kind = body["error"]["type"].as_str().unwrap_or("").to_string();
    let message = body["error"]["message"].as_str().unwrap_or("");
    let too_long = message.contains("prompt is too long") || message.contains("exceed context limit");
    let error = match (failure.status, kind.as_str()) {
        (401, _) => {
            Error::new(ErrorKind::Unauthenticated, "Anthropic refused the API key; store a valid one in the vault")
        }
        (429, _) => {
            let error = Error::new(ErrorKind::RateLimited, "Anthropic is rate limiting this key");
            match retry_after(failure.headers) {
                Some(after) => error.with_retry_after(after),
                None => error,
            }
        }
        (413, _) => Error::new(ErrorKind::InvalidInput, "the request is larger than Anthropic accepts"),
        (400, _) if too_long => Error::new(
            ErrorKind::InvalidInput,
            "the conversation is too long for the model's context window; lower the context budget",
        ),
        (529, _) | (_, "overloaded_error") => {
            let error = Error::new(ErrorKind::PlatformUnavailable, "Anthropic is overloaded");
            match retry_after(failure.headers) {
                Some(after) => error.with_retry_after(after),
                None => error.temporary(),
            }
        }
        (status, _) if status >= 500 || status == 408 || status == 409 => {
            let error = Error::new(ErrorKind::PlatformUnavailable, "Anthropic is failing");
            match retry_after(failure.headers) {
                Some(after) => error.with_retry_after(after),
                None => error.temporary(),
            }
        }
        _ => Error::new(ErrorKind::PlatformRejected, "Anthropic refused the request"),
    };
    let error =
        if failure.headers.get("x-should-retry").is_some_and(|v| v == "false") { error.permanent() } else { error };
    if kind.is_empty() { error } else { error.with_platform_code(kind) }
}

#[async_trait]
impl Responder for AnthropicResponder {
    fn name(&self) -> &str {
        PROVIDER
    }

    async fn respond(&self, request: &ResponderRequest) -> Result<ResponderOutput> {
        let key = self.keys.key(PROVIDER, &request.tenant).await?;
        let mut messages: Vec<Value> = provider_turns(request)?
            .into_iter()
            .map(|turn| json!({"role": if turn.from_customer { "user" } else { "assistant" }, "content": turn.text}))
            .collect();
        let tools: Vec<Value> = self
            .tools
            .iter()
            .flat_map(|tools| tools.definitions())
            .map(|tool| json!({"name": tool.name, "description": tool.description, "input_schema": tool.parameters}))
            .collect();
        let mut usage = TokenUsage::default();
        for _ in 0..=MAX_TOOL_ROUNDS {
            let mut body = json!({
                "model": self.config.model,
                "max_tokens": request.max_output_tokens,
                "system": system_prompt(request),
                "messages": messages,
            });
            if !tools.is_empty() {
                body["tools"] = Value::Array(tools.clone());
                body["tool_choice"] = json!({"type": "auto"});
            }
            let body = Bytes::from(body.to_string());
            let response =
                call(self.http.as_ref(), &self.config, PROVIDER, &|| self.build(&key, &body), classify).await?;
            let reported = &response["usage"];
            let input = ["input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"]
                .iter()
                .map(|field| reported[*field].as_u64().unwrap_or(0))
                .sum();
            usage = usage + TokenUsage { input, output: reported["output_tokens"].as_u64().unwrap_or(0) };
            let content = response["content"].as_array().cloned().unwrap_or_default();
            match response["stop_reason"].as_str() {
                Some("tool_use") => {
                    let Some(tools) = &self.tools else {
                        return Err(Error::new(
                            ErrorKind::MalformedPayload,
                            "Anthropic called a tool that was not offered",
                        ));
                    };
                    let mut results = Vec::new();
                    for block in content.iter().filter(|block| block["type"] == "tool_use") {
                        let name = block["name"].as_str().unwrap_or("");
                        let (result, is_error) =
                            run_tool(tools.as_ref(), &request.tenant, request.contact, name, &block["input"]).await;
                        results.push(json!({"type": "tool_result", "tool_use_id": block["id"], "content": result, "is_error": is_error}));
                    }
                    messages.push(json!({"role": "assistant", "content": content}));
                    messages.push(json!({"role": "user", "content": results}));
                    continue;
                }
                Some("max_tokens") | Some("model_context_window_exceeded") => {
                    return Err(Error::new(
                        ErrorKind::PlatformRejected,
                        "Anthropic cut the answer off at the output limit",
                    )
                    .with_context("provider", PROVIDER));
                }
                Some("refusal") => {
                    return Ok(ResponderOutput::text("", usage).with_handoff(crate::prompt::HANDOFF_UNSURE));
                }
                _ => {}
            }
            let text: String = content
                .iter()
                .filter(|block| block["type"] == "text")
                .filter_map(|block| block["text"].as_str())
                .collect();
            if text.trim().is_empty() {
                return Ok(ResponderOutput::text("", usage).with_handoff(crate::prompt::HANDOFF_UNSURE));
            }
            return parse_answer(request.task, &text, usage);
        }
        Err(Error::new(ErrorKind::PlatformRejected, "the model kept calling tools without answering")
            .with_context("provider", PROVIDER))
    }
}
