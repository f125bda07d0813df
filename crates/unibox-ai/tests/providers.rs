//! The two providers against local fake servers on loopback: the exact requests (path, headers,
//! `store: false`, redacted content, no secret in the body), responses and usage, tool round
//! trips, and the error table: 401, 429 with and without a usable delay, quota, 529/503
//! overload, context too long, and a provider that never answers.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{ANTHROPIC_KEY, OPENAI_KEY, Provider, answer, anthropic_text, openai_text};
use serde_json::{Value, json};
use unibox_ai::{ApiKeys, ContextTools, KeyScope, ProviderConfig, ToolDefinition};
use unibox_core::ai::{Responder, ResponderRequest, Task, TokenUsage, Turn};
use unibox_core::memory::MemoryTokenStore;
use unibox_core::privacy::redact;
use unibox_core::{ContactId, ConversationId, Error, ErrorKind, Retry, TenantId};
use unibox_testkit::http::{FakeServer, ScriptedResponse};

async fn keys() -> ApiKeys {
    let keys = ApiKeys::new(Arc::new(MemoryTokenStore::new()), KeyScope::EachTenant);
    keys.store("openai", &common::tenant(), OPENAI_KEY.to_string().into()).await.unwrap();
    keys.store("anthropic", &common::tenant(), ANTHROPIC_KEY.to_string().into()).await.unwrap();
    keys
}

/// What a context builder hands a responder: redacted turns.
fn request(task: Task) -> ResponderRequest {
    ResponderRequest::new(common::tenant(), ConversationId::new(), ContactId::new(), task)
        .instructions("You are Acme's support agent.")
        .turn(Turn::customer(redact("Hi, I'm somchai@example.co.th, call me on 081-234-5678. Where is order 1042?")))
        .knowledge("Orders ship within 2 days.")
        .max_output_tokens(300)
}

async fn responder_on(
    kind: Provider,
    server: &FakeServer,
    adjust: impl FnOnce(ProviderConfig) -> ProviderConfig,
) -> Arc<dyn Responder> {
    let config = adjust(common::config(kind, server));
    common::responder(kind, server, keys().await, config)
}

fn assert_no_secret_or_personal_data(body: &str) {
    for secret in [OPENAI_KEY, ANTHROPIC_KEY, "somchai@example.co.th", "081-234-5678"] {
        assert!(!body.contains(secret), "the request body carries {secret:?}");
    }
}

#[tokio::test]
async fn openai_requests_are_stateless_redacted_and_authenticated_by_header_only() {
    let server = FakeServer::start().await.unwrap();
    server.enqueue(openai_text(&answer("Order 1042 shipped yesterday.", 0.92)));
    let responder = responder_on(Provider::OpenAi, &server, |c| c).await;
    let output = responder.respond(&request(Task::Reply)).await.unwrap();
    assert_eq!(output.text, "Order 1042 shipped yesterday.");
    assert_eq!(output.confidence, Some(0.92));
    assert_eq!(output.usage, TokenUsage { input: 36, output: 87 });

    let sent = server.last_request().unwrap();
    assert_eq!(sent.method, http::Method::POST);
    assert_eq!(sent.target, "/v1/responses");
    assert_eq!(sent.header("authorization"), Some(format!("Bearer {OPENAI_KEY}").as_str()));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    let body = sent.json().unwrap();
    assert_eq!(body["store"], json!(false), "the Responses API stores by default");
    assert_eq!(body["model"], "gpt-test");
    assert_eq!(body["max_output_tokens"], 300);
    assert_eq!(body["text"]["format"]["type"], "json_schema");
    assert!(body["instructions"].as_str().unwrap().starts_with("You are Acme's support agent."));
    assert!(body["instructions"].as_str().unwrap().contains("Orders ship within 2 days."));
    assert_eq!(body["input"][0]["role"], "user");
    assert_eq!(body["input"][0]["content"], "Hi, I'm [email], call me on [phone]. Where is order 1042?");
    assert!(body.get("tools").is_none(), "no tools offered when none are configured");
    assert_no_secret_or_personal_data(&String::from_utf8_lossy(&sent.body));
    assert!(!format!("{responder:?}").contains(OPENAI_KEY));
}

#[tokio::test]
async fn anthropic_requests_carry_the_version_the_key_header_and_a_top_level_system_prompt() {
    let server = FakeServer::start().await.unwrap();
    server.enqueue(anthropic_text(&format!("Here you go: {}", answer("It shipped.", 0.8))));
    let responder = responder_on(Provider::Anthropic, &server, |c| c).await;
    let output = responder.respond(&request(Task::Reply)).await.unwrap();
    assert_eq!((output.text.as_str(), output.confidence), ("It shipped.", Some(0.8)));
    assert_eq!(output.usage, TokenUsage { input: 406 + 10 + 4, output: 50 }, "cached input tokens count as input");

    let sent = server.last_request().unwrap();
    assert_eq!(sent.target, "/v1/messages");
    assert_eq!(sent.header("x-api-key"), Some(ANTHROPIC_KEY));
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert!(sent.header("authorization").is_none());
    let body = sent.json().unwrap();
    assert_eq!(body["max_tokens"], 300);
    assert!(body["system"].as_str().unwrap().starts_with("You are Acme's support agent."));
    assert_eq!(
        body["messages"],
        json!([{"role": "user", "content": "Hi, I'm [email], call me on [phone]. Where is order 1042?"}])
    );
    assert!(body.get("store").is_none(), "Anthropic has no store parameter");
    assert_no_secret_or_personal_data(&String::from_utf8_lossy(&sent.body));
}

/// Orders as a context tool; the result carries a phone number that must not reach the model.
#[derive(Debug)]
struct Orders;

#[unibox_core::async_trait]
impl ContextTools for Orders {
    fn definitions(&self) -> Vec<ToolDefinition> {
        vec![ToolDefinition::new(
            "lookup_order",
            "Look up one of the customer's orders by its number",
            json!({"type": "object", "properties": {"order_id": {"type": "string"}}, "required": ["order_id"], "additionalProperties": false}),
        )]
    }
    async fn call(
        &self,
        _tenant: &TenantId,
        _buyer: ContactId,
        name: &str,
        arguments: &Value,
    ) -> unibox_core::Result<Value> {
        match (name, arguments["order_id"].as_str()) {
            ("lookup_order", Some("1042")) => Ok(json!({"status": "shipped", "courier_phone": "+66 2 123 4567"})),
            _ => Err(Error::new(ErrorKind::NotFound, "no such order")),
        }
    }
}

#[tokio::test]
async fn openai_tool_calls_are_run_and_echoed_with_their_call_id_and_redacted_output() {
    let server = FakeServer::start().await.unwrap();
    server.enqueue(ScriptedResponse::json(200, &json!({
        "id": "resp_1", "status": "completed",
        "output": [{"type": "function_call", "id": "fc_1", "call_id": "call_unLAR8", "name": "lookup_order", "arguments": "{\"order_id\":\"1042\"}", "status": "completed"}],
        "usage": {"input_tokens": 50, "output_tokens": 10}
    })));
    server.enqueue(openai_text(&answer("It shipped.", 0.9)));
    let config = common::config(Provider::OpenAi, &server);
    let http = Arc::new(unibox_core::http::ReqwestClient::new());
    let responder = unibox_ai::OpenAiResponder::new(http, config, keys().await).with_tools(Arc::new(Orders));
    let output = responder.respond(&request(Task::Reply)).await.unwrap();
    assert_eq!(output.text, "It shipped.");
    assert_eq!(output.usage, TokenUsage { input: 86, output: 97 }, "usage adds up over the round trips");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let first = requests[0].json().unwrap();
    assert_eq!(first["tools"][0]["name"], "lookup_order");
    assert_eq!(first["tools"][0]["type"], "function");
    let second = requests[1].json().unwrap();
    assert_eq!(second["store"], json!(false));
    let input = second["input"].as_array().unwrap();
    assert_eq!(input[1]["type"], "function_call");
    assert_eq!(input[1]["call_id"], "call_unLAR8");
    assert_eq!(input[2]["type"], "function_call_output");
    assert_eq!(input[2]["call_id"], "call_unLAR8");
    let output_text = input[2]["output"].as_str().unwrap();
    assert!(output_text.contains("shipped") && output_text.contains("[phone]"), "{output_text}");
    assert!(!String::from_utf8_lossy(&requests[1].body).contains("123 4567"));
}

#[tokio::test]
async fn anthropic_tool_uses_are_answered_with_tool_results_in_the_next_user_turn() {
    let server = FakeServer::start().await.unwrap();
    server.enqueue(ScriptedResponse::json(200, &json!({
        "id": "msg_1", "type": "message", "role": "assistant", "stop_reason": "tool_use",
        "content": [{"type": "text", "text": "Let me check."}, {"type": "tool_use", "id": "toolu_01D7", "name": "lookup_order", "input": {"order_id": "9999"}}],
        "usage": {"input_tokens": 100, "output_tokens": 20}
    })));
    server.enqueue(anthropic_text(&answer("I could not find that order.", 0.7)));
    let config = common::config(Provider::Anthropic, &server);
    let http = Arc::new(unibox_core::http::ReqwestClient::new());
    let responder = unibox_ai::AnthropicResponder::new(http, config, keys().await).with_tools(Arc::new(Orders));
    let output = responder.respond(&request(Task::Reply)).await.unwrap();
    assert_eq!(output.text, "I could not find that order.");
    let second = server.requests()[1].json().unwrap();
    let messages = second["messages"].as_array().unwrap();
    assert_eq!(messages[1]["role"], "assistant");
    assert_eq!(messages[1]["content"][1]["id"], "toolu_01D7", "the assistant's blocks are echoed unchanged");
    assert_eq!(messages[2]["role"], "user");
    assert_eq!(messages[2]["content"][0]["type"], "tool_result");
    assert_eq!(messages[2]["content"][0]["tool_use_id"], "toolu_01D7");
    assert_eq!(messages[2]["content"][0]["is_error"], true);
    assert_eq!(messages[2]["content"][0]["content"], "{\"error\":\"not_found\"}", "only the error's kind goes back");
    assert_eq!(second["tools"][0]["input_schema"]["required"][0], "order_id");
}

async fn failing(
    kind: Provider,
    responses: Vec<ScriptedResponse>,
    adjust: impl FnOnce(ProviderConfig) -> ProviderConfig,
) -> (Error, usize) {
    let server = FakeServer::start().await.unwrap();
    for response in responses {
        server.enqueue(response);
    }
    let responder = responder_on(kind, &server, adjust).await;
    let error = responder.respond(&request(Task::Reply)).await.unwrap_err();
    for secret in [OPENAI_KEY, ANTHROPIC_KEY] {
        assert!(!error.to_string().contains(secret) && !format!("{error:?}").contains(secret));
    }
    (error, server.request_count())
}

#[tokio::test]
async fn a_refused_key_is_unauthenticated_and_not_retried() {
    let openai = ScriptedResponse::json(
        401,
        &json!({"error": {"message": "Incorrect API key provided: sk-test-****", "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}),
    );
    let (error, attempts) = failing(Provider::OpenAi, vec![openai], |c| c).await;
    assert_eq!((error.kind(), attempts), (ErrorKind::Unauthenticated, 1));
    assert_eq!(error.platform_code(), Some("invalid_api_key"));
    let anthropic = ScriptedResponse::json(
        401,
        &json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}, "request_id": "req_test"}),
    );
    let (error, attempts) = failing(Provider::Anthropic, vec![anthropic], |c| c).await;
    assert_eq!((error.kind(), attempts), (ErrorKind::Unauthenticated, 1));
}

#[tokio::test]
async fn a_429_is_retried_after_the_provider_s_delay_then_succeeds() {
    for kind in [Provider::OpenAi, Provider::Anthropic] {
        let server = FakeServer::start().await.unwrap();
        server.enqueue(
            ScriptedResponse::json(429, &json!({"error": {"type": "rate_limit_error", "message": "slow down"}}))
                .with_header("retry-after", "1"),
        );
        server.enqueue(common::provider_text(kind, &answer("Done.", 0.9)));
        let responder = responder_on(kind, &server, |c| c).await;
        let started = tokio::time::Instant::now();
        let output = responder.respond(&request(Task::Reply)).await.unwrap();
        assert_eq!(output.text, "Done.");
        assert_eq!(server.request_count(), 2, "{kind:?}: one retry");
        assert!(started.elapsed() >= Duration::from_secs(1), "{kind:?}: the retry waited the provider's delay");
    }
}

#[tokio::test]
async fn a_429_with_a_delay_too_long_to_wait_or_out_of_quota_is_returned_not_retried() {
    let long = ScriptedResponse::json(
        429,
        &json!({"error": {"message": "Rate limit reached", "type": "requests", "code": "rate_limit_exceeded"}}),
    )
    .with_header("retry-after", "300");
    let (error, attempts) = failing(Provider::OpenAi, vec![long], |c| c).await;
    assert_eq!((error.kind(), attempts), (ErrorKind::RateLimited, 1));
    assert_eq!(
        error.retry(),
        Retry::Temporary { after: Some(Duration::from_secs(300)) },
        "the caller learns the delay"
    );
    let quota = ScriptedResponse::json(
        429,
        &json!({"error": {"message": "You exceeded your current quota", "type": "insufficient_quota", "param": null, "code": "insufficient_quota"}}),
    );
    let (error, attempts) = failing(Provider::OpenAi, vec![quota], |c| c).await;
    assert_eq!((error.kind(), attempts), (ErrorKind::PlatformRejected, 1));
    assert!(!error.is_temporary());
}

#[tokio::test]
async fn overload_529_and_503_are_retried_with_backoff_within_the_budget() {
    let overloaded = || {
        ScriptedResponse::json(
            529,
            &json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        )
    };
    let server = FakeServer::start().await.unwrap();
    server.enqueue(overloaded());
    server.enqueue(anthropic_text(&answer("Back.", 0.9)));
    let responder = responder_on(Provider::Anthropic, &server, |c| c).await;
    assert_eq!(responder.respond(&request(Task::Reply)).await.unwrap().text, "Back.");
    assert_eq!(server.request_count(), 2);

    let (error, attempts) =
        failing(Provider::Anthropic, vec![overloaded(), overloaded(), overloaded(), overloaded()], |c| {
            c.max_retries(2)
        })
        .await;
    assert_eq!((error.kind(), attempts), (ErrorKind::PlatformUnavailable, 3), "three attempts, then give up");
    assert_eq!(error.retry(), Retry::Persistent);
    assert_eq!(error.platform_code(), Some("overloaded_error"));

    let unavailable = || {
        ScriptedResponse::json(
            503,
            &json!({"error": {"message": "The server is overloaded", "type": "server_error", "code": "server_is_overloaded"}}),
        )
    };
    let (error, attempts) = failing(Provider::OpenAi, vec![unavailable(), unavailable()], |c| c.max_retries(1)).await;
    assert_eq!((error.kind(), attempts), (ErrorKind::PlatformUnavailable, 2));
}

#[tokio::test]
async fn a_context_that_is_too_long_is_invalid_input_and_not_retried() {
    let openai = ScriptedResponse::json(
        400,
        &json!({"error": {"message": "Your input exceeds the context window of this model.", "type": "invalid_request_error", "param": "input", "code": "context_length_exceeded"}}),
    );
    let (error, attempts) = failing(Provider::OpenAi, vec![openai], |c| c).await;
    assert_eq!((error.kind(), attempts), (ErrorKind::InvalidInput, 1));
    let anthropic = ScriptedResponse::json(
        400,
        &json!({"type": "error", "error": {"type": "invalid_request_error", "message": "prompt is too long: 207791 tokens > 200000 maximum"}}),
    );
    let (error, attempts) = failing(Provider::Anthropic, vec![anthropic], |c| c).await;
    assert_eq!((error.kind(), attempts), (ErrorKind::InvalidInput, 1));
}

#[tokio::test]
async fn a_provider_that_never_answers_times_out_once_and_is_not_retried() {
    for kind in [Provider::OpenAi, Provider::Anthropic] {
        let hang = ScriptedResponse::ok().delayed(Duration::from_secs(30));
        let (error, attempts) =
            failing(kind, vec![hang.clone(), hang], |c| c.timeout(Duration::from_millis(300))).await;
        assert_eq!(error.kind(), ErrorKind::PlatformUnavailable, "{kind:?}");
        assert_eq!(attempts, 1, "{kind:?}: a request that may have been processed is not sent again");
        assert!(error.message().contains("did not answer"));
    }
}

#[tokio::test]
async fn summaries_and_labels_are_read_from_the_structured_answer() {
    let server = FakeServer::start().await.unwrap();
    server.enqueue(openai_text(r#"{"summary":"Customer asks where order 1042 is."}"#));
    server.enqueue(openai_text(r#"{"intent":"order_status","sentiment":"neutral"}"#));
    let responder = responder_on(Provider::OpenAi, &server, |c| c).await;
    assert_eq!(responder.respond(&request(Task::Summarize)).await.unwrap().text, "Customer asks where order 1042 is.");
    let labels = responder.respond(&request(Task::Label)).await.unwrap().labels.unwrap();
    assert_eq!(labels.as_tags(), vec!["intent:order_status".to_string(), "sentiment:neutral".to_string()]);
    let body = server.requests()[0].json().unwrap();
    assert_eq!(body["text"]["format"]["name"], "summary");
    assert!(body["input"][0]["content"].as_str().unwrap().starts_with("The conversation:\nCustomer: "));
}

#[tokio::test]
async fn a_missing_key_is_a_configuration_error_before_any_request() {
    let server = FakeServer::start().await.unwrap();
    let keys = ApiKeys::new(Arc::new(MemoryTokenStore::new()), KeyScope::EachTenant);
    let responder = common::responder(Provider::OpenAi, &server, keys, common::config(Provider::OpenAi, &server));
    assert_eq!(responder.respond(&request(Task::Reply)).await.unwrap_err().kind(), ErrorKind::Configuration);
    assert_eq!(server.request_count(), 0);
}
