//! OpenAI's Responses API (`POST {base}/responses`), stateless: `store: false` on every call, the
//! history re-sent each time, tool calls echoed back with their outputs.

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use http::HeaderValue;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use unibox_core::ai::{Responder, ResponderOutput, ResponderRequest, TokenUsage};
use unibox_core::http::{HttpClient, HttpRequest, url_under};
use unibox_core::{Error, ErrorKind, Result};

use super::retry::{Failure, call, retry_after};
use super::{MAX_TOOL_ROUNDS, ProviderConfig};
use crate::ApiKeys;
use crate::prompt::{answer_schema, parse_answer, provider_turns, system_prompt};
use crate::tools::{ContextTools, run_tool};

/// The provider name: the vault slot of its key and the `provider` context of its errors.
const PROVIDER: &str = "openai";

/// A [`Responder`] on OpenAI's Responses API.
///
/// ```
/// use std::sync::Arc;
/// use unibox_ai::{ApiKeys, KeyScope, OpenAiResponder, ProviderConfig};
/// use unibox_core::memory::MemoryTokenStore;
/// # #[derive(Debug)] struct Http;
/// # #[unibox_core::async_trait] impl unibox_core::http::HttpClient for Http {
/// #     async fn execute(&self, _: unibox_core::http::HttpRequest) -> Result<unibox_core::http::HttpResponse, unibox_core::http::HttpError> { Err(unibox_core::http::HttpError::new(unibox_core::http::HttpErrorKind::Connect, "this example has no network")) }
/// # }
/// let keys = ApiKeys::new(Arc::new(MemoryTokenStore::new()), KeyScope::EachTenant);
/// let responder = OpenAiResponder::new(Arc::new(Http), ProviderConfig::openai("gpt-5.4-mini"), keys);
/// assert_eq!(unibox_core::ai::Responder::name(&responder), "openai");
/// ```
#[derive(Clone, Debug)]
pub struct OpenAiResponder {
    http: Arc<dyn HttpClient>,
    config: ProviderConfig,
    keys: ApiKeys,
    tools: Option<Arc<dyn ContextTools>>,
}

impl OpenAiResponder {
    /// A responder calling `config.base_url` through `http` with the key stored under
    /// `"openai"` in `keys`.
    pub fn new(http: Arc<dyn HttpClient>, config: ProviderConfig, keys: ApiKeys) -> Self {
        OpenAiResponder { http, config, keys, tools: None }
    }

    /// Offers `tools` to the model.
    pub fn with_tools(mut self, tools: Arc<dyn ContextTools>) -> Self {
        self.tools = Some(tools);
        self
    }

    fn build(&self, key: &SecretString, body: &Bytes) -> Result<HttpRequest> {
        let url = url_under(&self.config.base_url, "responses")
            .map_err(|e| Error::new(ErrorKind::Configuration, format!("invalid OpenAI base URL: {e}")))?;
        let mut authorization = HeaderValue::try_from(format!("Bearer {}", key.expose_secret())).map_err(|_| {
            Error::new(ErrorKind::Configuration, "the stored OpenAI API key is not a valid header value")
        })?;
        authorization.set_sensitive(true);
        http::Request::post(url.as_str())
            .header(AUTHORIZATION, authorization)
            .header(CONTENT_TYPE, "application/json")
            .body(body.clone())
            .map_err(|e| Error::new(ErrorKind::Configuration, format!("could not build the OpenAI request: {e}")))
    }
}

/// OpenAI's error table: the status, then the body's `error.code` / `error.type`.
fn classify(failure: &Failure<'_>) -> Error {
    let body: Value = serde_json::from_slice(failure.body).unwrap_or(Value::Null);
    let code = body["error"]["code"].as_str().or_else(|| body["error"]["type"].as_str()).unwrap_or("").to_string();
    let error = match (failure.status, code.as_str()) {
        (401, _) => {
            Error::new(ErrorKind::Unauthenticated, "OpenAI refused the API key; store a valid one in the vault")
        }
        (429, "insufficient_quota") => {
            Error::new(ErrorKind::PlatformRejected, "the OpenAI account is out of quota; check its plan and billing")
                .permanent()
        }
        (429, _) => {
            let error = Error::new(ErrorKind::RateLimited, "OpenAI is rate limiting this key");
            match retry_after(failure.headers) {
                Some(after) => error.with_retry_after(after),
                None => error,
            }
        }
        (400, "context_length_exceeded") | (413, _) => Error::new(
            ErrorKind::InvalidInput,
            "the conversation is too long for the model's context window; lower the context budget",
        ),
        (status, _) if status >= 500 || status == 408 || status == 409 => {
            let error = Error::new(ErrorKind::PlatformUnavailable, "OpenAI is failing or overloaded");
            match retry_after(failure.headers) {
                Some(after) => error.with_retry_after(after),
                None => error.temporary(),
            }
        }
        _ => Error::new(ErrorKind::PlatformRejected, "OpenAI refused the request"),
    };
    let error =
        if failure.headers.get("x-should-retry").is_some_and(|v| v == "false") { error.permanent() } else { error };
    if code.is_empty() { error } else { error.with_platform_code(code) }
}

#[async_trait]
impl Responder for OpenAiResponder {
    fn name(&self) -> &str {
        PROVIDER
    }

    async fn respond(&self, request: &ResponderRequest) -> Result<ResponderOutput> {
        let key = self.keys.key(PROVIDER, &request.tenant).await?;
        let mut input: Vec<Value> = provider_turns(request)?
            .into_iter()
            .map(|turn| json!({"role": if turn.from_customer { "user" } else { "assistant" }, "content": turn.text}))
            .collect();
        let (schema_name, schema) = answer_schema(request.task);
        let tools: Vec<Value> = self
            .tools
            .iter()
            .flat_map(|tools| tools.definitions())
            .map(|tool| json!({"type": "function", "name": tool.name, "description": tool.description, "parameters": tool.parameters}))
            .collect();
        let mut usage = TokenUsage::default();
        for _ in 0..=MAX_TOOL_ROUNDS {
            let mut body = json!({
                "model": self.config.model,
                "instructions": system_prompt(request),
                "input": input,
                "max_output_tokens": request.max_output_tokens,
                // The Responses API keeps every response for 30 days unless told not to.
                "store": false,
                "text": {"format": {"type": "json_schema", "name": schema_name, "schema": schema, "strict": true}},
            });
            if !tools.is_empty() {
                body["tools"] = Value::Array(tools.clone());
                body["tool_choice"] = json!("auto");
            }
            let body = Bytes::from(body.to_string());
            let response =
                call(self.http.as_ref(), &self.config, PROVIDER, &|| self.build(&key, &body), classify).await?;
            usage = usage
                + TokenUsage {
                    input: response["usage"]["input_tokens"].as_u64().unwrap_or(0),
                    output: response["usage"]["output_tokens"].as_u64().unwrap_or(0),
                };
            let output = response["output"].as_array().cloned().unwrap_or_default();
            let calls: Vec<&Value> = output.iter().filter(|item| item["type"] == "function_call").collect();
            if !calls.is_empty() {
                let Some(tools) = &self.tools else {
                    return Err(Error::new(ErrorKind::MalformedPayload, "OpenAI called a tool that was not offered"));
                };
                for item in calls {
                    let (call_id, name) = (item["call_id"].as_str().unwrap_or(""), item["name"].as_str().unwrap_or(""));
                    let arguments: Value =
                        item["arguments"].as_str().and_then(|a| serde_json::from_str(a).ok()).unwrap_or(Value::Null);
                    let (result, _) =
                        run_tool(tools.as_ref(), &request.tenant, request.contact, name, &arguments).await;
                    input.push(json!({"type": "function_call", "call_id": call_id, "name": name, "arguments": item["arguments"]}));
                    input.push(json!({"type": "function_call_output", "call_id": call_id, "output": result}));
                }
                continue;
            }
            let mut text = String::new();
            let mut refused = false;
            for part in output
                .iter()
                .filter(|item| item["type"] == "message")
                .flat_map(|item| item["content"].as_array().cloned().unwrap_or_default())
            {
                match part["type"].as_str() {
                    Some("output_text") => text.push_str(part["text"].as_str().unwrap_or("")),
                    Some("refusal") => refused = true,
                    _ => {}
                }
            }
            if response["status"] == "incomplete" && !refused {
                return Err(Error::new(
                    ErrorKind::PlatformRejected,
                    "OpenAI cut the answer off (output limit or content filter)",
                )
                .with_context("provider", PROVIDER));
            }
            if refused || text.trim().is_empty() {
                return Ok(ResponderOutput::text("", usage).with_handoff(crate::prompt::HANDOFF_UNSURE));
            }
            return parse_answer(request.task, &text, usage);
        }
        Err(Error::new(ErrorKind::PlatformRejected, "the model kept calling tools without answering")
            .with_context("provider", PROVIDER))
    }
}
