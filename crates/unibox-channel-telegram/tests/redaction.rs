//! The bot token is in every Bot API URL (`/bot<token>/<method>`): it must never appear in an
//! error (message, context, source chain, `Debug`), in `Debug` of the channel and its
//! configuration, or in log lines, whatever the HTTP client says about the URL it failed on.

mod common;

use std::error::Error as _;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use secrecy::SecretString;
use unibox_channel_telegram::{TelegramChannel, TelegramConfig, WebhookOptions};
use unibox_core::channel::SendRequest;
use unibox_core::http::{HttpClient, HttpError, HttpErrorKind, HttpRequest, HttpResponse};
use unibox_core::memory::{MemoryStore, MemoryTokenStore};
use unibox_core::{
    Actor, Channel, ChannelAccount, ChannelKind, Content, Error, Hub, MessageId, Role, Timestamp, TokenSet,
};
use unibox_testkit::http::ScriptedResponse;
use unibox_testkit::logs::CapturedLogs;

use common::{BOT_ID, BOT_TOKEN, TOKEN_SECRET, USER};

/// Everything a person could see of an error: its message and context, `Debug`, and the text of
/// every source.
fn everything_said(error: &Error) -> String {
    let mut said = format!("{error}\n{error:?}\n");
    let mut source = error.source();
    while let Some(cause) = source {
        said.push_str(&format!("{cause}\n{cause:?}\n"));
        source = cause.source();
    }
    said
}

fn assert_no_token(what: &str, text: &str) {
    assert!(!text.contains(TOKEN_SECRET), "{what} shows the bot token: {text}");
}

/// A client that quotes the full request URL in its errors, as reqwest does unless told not to.
#[derive(Debug)]
struct UrlQuotingClient(HttpErrorKind);

#[async_trait]
impl HttpClient for UrlQuotingClient {
    async fn execute(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        Err(HttpError::new(self.0, format!("error sending request for url ({})", request.uri())))
    }
}

fn channel_with(client: Arc<dyn HttpClient>) -> TelegramChannel {
    TelegramChannel::new(common::config()).with_http_client(client)
}

#[tokio::test]
async fn transport_errors_that_quote_the_url_are_redacted() {
    let account = common::account();
    let to = common::customer(&account, USER);
    let content = Content::text("hi");
    for kind in [HttpErrorKind::Connect, HttpErrorKind::Timeout, HttpErrorKind::Interrupted] {
        let channel = channel_with(Arc::new(UrlQuotingClient(kind)));
        let error = channel.send(&SendRequest::new(&account, &to, &content, MessageId::new())).await.unwrap_err();
        let said = everything_said(&error);
        assert!(said.contains("[bot token redacted]"), "the URL was quoted, with the token redacted: {said}");
        assert_no_token("a send's transport error", &said);
        let error = channel.webhook_info().await.unwrap_err();
        assert_no_token("a query's transport error", &everything_said(&error));
    }
}

#[tokio::test]
async fn api_errors_lost_answers_and_refused_connections_never_carry_the_token() {
    let api = common::fake_telegram().await;
    let channel = common::sending_channel(&api);
    let account = common::account();
    let to = common::customer(&account, USER);
    let content = Content::text("hi");
    let send = async || channel.send(&SendRequest::new(&account, &to, &content, MessageId::new())).await;
    let mut errors = Vec::new();
    for answer in [
        common::error(401, "Unauthorized"),
        common::error(404, "Not Found"),
        common::error(400, "Bad Request: chat not found"),
        ScriptedResponse::hang_up(),
        common::ok(serde_json::json!(true)).delayed(Duration::from_secs(4)),
    ] {
        api.enqueue(answer);
        errors.push(send().await.unwrap_err());
    }
    let bad_url = format!("https://inbox.example.com/telegram/{BOT_TOKEN}").parse().unwrap();
    errors.push(channel.set_webhook(&bad_url, &WebhookOptions::default()).await.unwrap_err());
    api.shutdown().await;
    errors.push(send().await.unwrap_err());
    for error in &errors {
        assert_no_token("an error", &everything_said(error));
    }
    let stored = SecretString::from("7351209876:AAmalformed token");
    let error = channel
        .send(&SendRequest::new(&account, &to, &content, MessageId::new()).with_access_token(Some(&stored)))
        .await
        .unwrap_err();
    assert!(!everything_said(&error).contains("AAmalformed"), "a malformed stored token is not quoted either");
}

#[test]
fn debug_of_the_configuration_builder_and_channel_never_shows_a_secret() {
    let builder = TelegramConfig::builder().bot_token(BOT_TOKEN).secret_token(common::SECRET_TOKEN);
    let config = builder.clone().build().unwrap();
    let channel = TelegramChannel::new(config.clone());
    for (what, debug) in
        [("builder", format!("{builder:?}")), ("config", format!("{config:?}")), ("channel", format!("{channel:?}"))]
    {
        assert_no_token(what, &debug);
        assert!(!debug.contains(common::SECRET_TOKEN), "{what} shows the webhook secret: {debug}");
    }
    assert!(format!("{config:?}").contains(BOT_ID), "the bot id is not secret and helps debugging");
    let refused = TelegramConfig::builder().bot_token("7351209876:AAH dq").secret_token("s").build().unwrap_err();
    assert!(!refused.to_string().contains("AAH dq"));
}

#[tokio::test]
async fn log_lines_of_failed_sends_never_show_the_token() {
    let captured = CapturedLogs::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let api = common::fake_telegram().await;
    let hub = Hub::builder(MemoryStore::new())
        .channel("acme-telegram".parse().unwrap(), Arc::new(common::sending_channel(&api)))
        .tokens(Arc::new(MemoryTokenStore::new()))
        .clock(common::clock())
        .build();
    let acme: unibox_core::TenantId = "acme".parse().unwrap();
    let account = ChannelAccount::new(
        acme.clone(),
        "acme-telegram".parse().unwrap(),
        ChannelKind::TELEGRAM,
        BOT_ID,
        Timestamp::from_unix_seconds(0),
    );
    let admin = Actor::user(acme.clone(), "admin".parse().unwrap(), Role::Admin);
    hub.connect_account(&admin, account, Some(TokenSet::new(BOT_TOKEN))).await.unwrap();
    hub.receive_webhook(&"acme-telegram".parse().unwrap(), &common::delivered(&common::fixture("text_entities")))
        .await
        .unwrap();
    let agent = Actor::user(acme, "agent".parse().unwrap(), Role::Agent);
    let conversation = hub.conversations(&agent, &Default::default()).await.unwrap().items[0].id;
    for answer in [common::error(401, "Unauthorized"), ScriptedResponse::hang_up()] {
        api.enqueue(answer);
        // An application logs what went wrong, with Display and Debug.
        match hub.send(&agent, conversation, Content::text("hi")).await {
            Ok(message) => tracing::warn!(delivery = ?message.delivery, "send finished"),
            Err(error) => tracing::error!(%error, debug = ?error, "send failed"),
        }
    }
    let logs = captured.text();
    assert!(logs.contains("send"), "the log lines were captured: {logs}");
    assert_no_token("the logs", &logs);
}
