//! Outbound calls over real HTTP on loopback against a fake Bot API: every content kind, long
//! texts in parts, buttons, replies, business chats, the webhook and command helpers, answers to
//! button taps, and the error table (429 with `retry_after`, 403 blocked, 400, 401, lost answers).

mod common;

use std::time::Duration;

use secrecy::SecretString;
use serde_json::json;
use unibox_channel_telegram::{
    BUSINESS_CHAT_IDENTITY, BotCommand, FormattedText, MessageEntity, ParseMode, TelegramApiError, TelegramChannel,
    WebhookOptions, utf16_length,
};
use unibox_core::channel::{SendReceipt, SendRequest};
use unibox_core::{
    Button, ButtonAction, Channel, ChannelAccount, ContactIdentity, Content, Error, ErrorKind, IdentityKind, Media,
    MessageId, Retry,
};
use unibox_testkit::http::{FakeServer, ScriptedResponse};

use common::{BLOCKED_USER, BOT_TOKEN, SECRET_TOKEN, TOKEN_SECRET, USER};

struct Fixture {
    api: FakeServer,
    channel: TelegramChannel,
    account: ChannelAccount,
}

async fn fixture() -> Fixture {
    let api = common::fake_telegram().await;
    let channel = common::sending_channel(&api);
    Fixture { api, channel, account: common::account() }
}

impl Fixture {
    async fn send_to(
        &self,
        to: &ContactIdentity,
        content: &Content,
        reply_to: Option<&str>,
    ) -> Result<SendReceipt, Error> {
        let request = SendRequest::new(&self.account, to, content, MessageId::new()).with_reply_to(reply_to);
        self.channel.send(&request).await
    }

    async fn send(&self, content: &Content) -> Result<SendReceipt, Error> {
        self.send_to(&common::customer(&self.account, USER), content, None).await
    }

    /// `(method, JSON body)` of every call the fake received.
    fn calls(&self) -> Vec<(String, serde_json::Value)> {
        let requests = self.api.requests();
        let method = |path: &str| path.rsplit('/').next().unwrap_or_default().to_owned();
        requests.iter().map(|r| (method(r.path()), r.json().unwrap_or_default())).collect()
    }
}

fn media(url: &str, caption: Option<&str>, mime: Option<&str>) -> Media {
    let mut media = Media::from_url(url.parse().unwrap());
    media.caption = caption.map(str::to_owned);
    media.mime_type = mime.map(str::to_owned);
    media
}

#[tokio::test]
async fn a_text_goes_to_send_message_in_the_path_of_the_bot_and_the_receipt_names_the_chat() {
    let f = fixture().await;
    let receipt = f.send(&Content::text("Your order TH-20931 left our Bangkok warehouse.")).await.unwrap();
    assert_eq!(receipt.platform_message_id, format!("{USER}:5000"));
    let request = f.api.last_request().unwrap();
    assert_eq!(request.path(), format!("/bot{BOT_TOKEN}/sendMessage"), "the token is in the path, as Telegram wants");
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.json().unwrap(),
        json!({"chat_id": 5123456789i64, "text": "Your order TH-20931 left our Bangkok warehouse."})
    );
}

#[tokio::test]
async fn a_long_text_is_sent_in_parts_of_4096_utf16_units_and_the_receipt_is_the_first() {
    let f = fixture().await;
    // Thai (one unit a character) and emoji (two): 2 × 2,300 + 2,400 × 1 = 7,000 units.
    let text = format!("{}{}", "👍".repeat(2300), "ก".repeat(2400));
    let receipt = f.send(&Content::text(text.clone())).await.unwrap();
    let calls = f.calls();
    assert_eq!(calls.len(), 2);
    let parts: Vec<&str> = calls.iter().map(|(_, body)| body["text"].as_str().unwrap()).collect();
    assert!(parts.iter().all(|p| utf16_length(p) <= 4096), "every part within Telegram's limit");
    assert_eq!(parts.concat(), text);
    assert_eq!(receipt.platform_message_id, format!("{USER}:5000"));
}

#[tokio::test]
async fn when_a_later_part_fails_the_error_says_what_was_delivered_and_is_not_retried() {
    let f = fixture().await;
    f.api.enqueue(common::ok(json!({"message_id": 777, "chat": {"id": 5123456789i64}, "date": 1})));
    f.api.enqueue(common::error(400, "Bad Request: message is too long"));
    let error = f.send(&Content::text("ก".repeat(5000))).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::PlatformRejected);
    assert_eq!(error.retry(), Retry::Persistent);
    assert!(error.context().iter().any(|(k, v)| *k == "delivered_parts" && v == "1 of 2"));
}

#[tokio::test]
async fn media_locations_contacts_and_stickers_use_their_methods() {
    let f = fixture().await;
    let contents = [
        Content::Image(media("https://cdn.example.com/p/TH-20931.jpg", Some("Packed and sealed"), None)),
        Content::Video(media("https://cdn.example.com/howto.mp4", None, Some("video/mp4"))),
        Content::Audio(media("https://cdn.example.com/voice.ogg", None, Some("audio/ogg"))),
        Content::Audio(media("https://cdn.example.com/guide.mp3", None, Some("audio/mpeg"))),
        Content::File(media("https://cdn.example.com/INV-2024-0042.pdf", Some("Invoice"), None)),
        Content::Sticker { sticker_id: "CAACAgIAAxkBAAIBaGdXbV5sticker".into(), package_id: None, url: None },
        Content::Location { latitude: 13.7466, longitude: 100.5393, name: None, address: None },
        Content::Location {
            latitude: 13.7466,
            longitude: 100.5393,
            name: Some("Acme Store Siam".into()),
            address: Some("991 Rama I Rd".into()),
        },
        Content::ContactCard { name: "Acme Support".into(), phones: vec!["+6621234567".into()], emails: vec![] },
    ];
    for content in &contents {
        f.send(content).await.unwrap();
    }
    let methods: Vec<String> = f.calls().into_iter().map(|(method, _)| method).collect();
    assert_eq!(
        methods,
        [
            "sendPhoto",
            "sendVideo",
            "sendVoice",
            "sendAudio",
            "sendDocument",
            "sendSticker",
            "sendLocation",
            "sendVenue",
            "sendContact"
        ]
    );
    let calls = f.calls();
    assert_eq!(calls[0].1["photo"], "https://cdn.example.com/p/TH-20931.jpg");
    assert_eq!(calls[0].1["caption"], "Packed and sealed");
    assert_eq!(calls[7].1["title"], "Acme Store Siam");
    assert_eq!(calls[8].1["phone_number"], "+6621234567");
}

#[tokio::test]
async fn buttons_are_an_inline_keyboard_and_a_reply_names_the_message_in_the_chat() {
    let f = fixture().await;
    let buttons = Content::Buttons {
        text: "Was your problem solved?".into(),
        buttons: vec![
            Button {
                title: "Yes, solved".into(),
                action: ButtonAction::Postback { payload: "csat:yes:TH-20931".into() },
            },
            Button {
                title: "Track order".into(),
                action: ButtonAction::Url { url: "https://acme.example/track/TH-20931".parse().unwrap() },
            },
        ],
    };
    f.send_to(&common::customer(&f.account, USER), &buttons, Some("5123456789:4821")).await.unwrap();
    let (_, body) = &f.calls()[0];
    assert_eq!(
        body["reply_markup"]["inline_keyboard"][0][0],
        json!({"text": "Yes, solved", "callback_data": "csat:yes:TH-20931"})
    );
    assert_eq!(body["reply_parameters"], json!({"message_id": 4821, "allow_sending_without_reply": true}));
    let call = Content::Buttons {
        text: "Call us".into(),
        buttons: vec![Button { title: "Call".into(), action: ButtonAction::Call { phone: "+6621234567".into() } }],
    };
    assert_eq!(f.send(&call).await.unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(f.api.request_count(), 1, "refused before any call");
}

#[tokio::test]
async fn a_business_chat_is_answered_through_its_business_connection() {
    let f = fixture().await;
    let to = ContactIdentity {
        account: f.account.id,
        kind: IdentityKind::Other(BUSINESS_CHAT_IDENTITY.into()),
        value: format!("{}:{}", common::BUSINESS_CONNECTION, common::BUSINESS_CUSTOMER),
    };
    let receipt = f.send_to(&to, &Content::text("Yes, 2 days by Kerry Express."), None).await.unwrap();
    assert_eq!(receipt.platform_message_id, format!("{}:5000", to.value));
    let (_, body) = &f.calls()[0];
    assert_eq!(body["business_connection_id"], common::BUSINESS_CONNECTION);
    assert_eq!(body["chat_id"], 6234567890i64);
}

#[tokio::test]
async fn flood_control_is_rate_limited_with_telegrams_retry_after() {
    let f = fixture().await;
    f.api.enqueue(ScriptedResponse::json(
        429,
        &json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 34", "parameters": {"retry_after": 34}}),
    ));
    let error = f.send(&Content::text("hello")).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::RateLimited);
    assert_eq!(error.retry(), Retry::Temporary { after: Some(Duration::from_secs(34)) });
    assert_eq!(error.retry_after(), Some(Duration::from_secs(34)));
    assert_eq!(TelegramApiError::of(&error).map(|t| t.retry_after), Some(Some(34)));
}

#[tokio::test]
async fn a_user_who_blocked_the_bot_is_unreachable_and_an_unknown_chat_too() {
    let f = fixture().await;
    let blocked = f.send_to(&common::customer(&f.account, BLOCKED_USER), &Content::text("hi"), None).await.unwrap_err();
    assert_eq!(blocked.kind(), ErrorKind::RecipientUnavailable);
    assert_eq!(blocked.retry(), Retry::Permanent);
    assert!(blocked.message().contains("blocked the bot"));
    assert!(TelegramApiError::of(&blocked).unwrap().is_blocked_by_user());
    let unknown = f.send_to(&common::customer(&f.account, "0"), &Content::text("hi"), None).await.unwrap_err();
    assert_eq!(unknown.kind(), ErrorKind::RecipientUnavailable);
    assert!(unknown.message().contains("chat not found"));
}

#[tokio::test]
async fn a_bad_request_is_rejected_and_a_revoked_token_is_token_invalid() {
    let f = fixture().await;
    f.api.enqueue(common::error(
        400,
        "Bad Request: can't parse entities: Unsupported start tag \"b1\" at byte offset 0",
    ));
    let rejected = f.send(&Content::text("<b1>hi")).await.unwrap_err();
    assert_eq!((rejected.kind(), rejected.retry()), (ErrorKind::PlatformRejected, Retry::Permanent));
    assert!(rejected.message().contains("can't parse entities"));

    let revoked = SecretString::from(format!("{}:AAFrevokedRevokedRevokedRevoked00", common::BOT_ID));
    let content = Content::text("hi");
    let to = common::customer(&f.account, USER);
    let request = SendRequest::new(&f.account, &to, &content, MessageId::new()).with_access_token(Some(&revoked));
    let error = f.channel.send(&request).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenInvalid, "the token store's token is used when it holds one");
    let other_bot = SecretString::from("1111111111:AAFotherBotOtherBotOtherBot0000");
    let request = SendRequest::new(&f.account, &to, &content, MessageId::new()).with_access_token(Some(&other_bot));
    assert_eq!(f.channel.send(&request).await.unwrap_err().kind(), ErrorKind::Configuration);
}

#[tokio::test]
async fn lost_answers_are_unknown_and_never_retried_automatically() {
    let f = fixture().await;
    f.api.enqueue(common::ok(json!({"message_id": 1})).delayed(Duration::from_secs(4)));
    let timeout = f.send(&Content::text("hi")).await.unwrap_err();
    assert_eq!((timeout.kind(), timeout.retry()), (ErrorKind::DeliveryUnknown, Retry::Persistent));
    f.api.enqueue(ScriptedResponse::hang_up());
    let broken = f.send(&Content::text("hi")).await.unwrap_err();
    assert_eq!(broken.kind(), ErrorKind::DeliveryUnknown);
    f.api.enqueue(ScriptedResponse::json(200, &json!({"ok": true})));
    assert_eq!(f.send(&Content::text("hi")).await.unwrap_err().kind(), ErrorKind::DeliveryUnknown);
}

#[tokio::test]
async fn set_webhook_registers_the_secret_token_and_never_the_bot_token_in_the_url() {
    let f = fixture().await;
    let url = "https://inbox.example.com/webhooks/telegram".parse().unwrap();
    f.channel.set_webhook(&url, &WebhookOptions::default().max_connections(20)).await.unwrap();
    let (method, body) = &f.calls()[0];
    assert_eq!(method, "setWebhook");
    assert_eq!(body["url"], "https://inbox.example.com/webhooks/telegram");
    assert_eq!(body["secret_token"], SECRET_TOKEN);
    assert_eq!(body["max_connections"], 20);
    assert!(body["allowed_updates"].as_array().unwrap().contains(&json!("message_reaction")));

    for bad in [
        format!("https://inbox.example.com/webhooks/telegram/{BOT_TOKEN}"),
        format!("https://inbox.example.com/hook?token={TOKEN_SECRET}"),
        "http://inbox.example.com/webhooks/telegram".to_owned(),
        "https://inbox.example.com:8080/webhooks/telegram".to_owned(),
    ] {
        let error = f.channel.set_webhook(&bad.parse().unwrap(), &WebhookOptions::default()).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{bad}");
        assert!(!error.to_string().contains(TOKEN_SECRET));
    }
    assert_eq!(f.api.request_count(), 1, "refused before any call");
}

#[tokio::test]
async fn webhook_info_reports_the_last_delivery_error_and_delete_webhook_drops_pending_updates() {
    let f = fixture().await;
    let info = f.channel.webhook_info().await.unwrap();
    assert_eq!(info.url, common::URL);
    assert_eq!(info.pending_update_count, 3);
    assert_eq!(info.last_error_message.as_deref(), Some("Wrong response from the webhook: 401 Unauthorized"));
    assert_eq!(info.last_error_at().map(|t| t.as_unix_seconds()), Some(1732000500));
    f.channel.delete_webhook(true).await.unwrap();
    assert_eq!(f.calls()[1], ("deleteWebhook".to_owned(), json!({"drop_pending_updates": true})));
}

#[tokio::test]
async fn commands_are_set_and_button_taps_answered() {
    let f = fixture().await;
    let commands = [
        BotCommand::new("start", "Start talking to Acme").unwrap(),
        BotCommand::new("order", "Track an order: /order 123").unwrap(),
    ];
    f.channel.set_my_commands(&commands, Some("en")).await.unwrap();
    f.channel.answer_callback_query("callback:4382bfdwdsb323b2d9", Some("Thanks!"), false).await.unwrap();
    let calls = f.calls();
    assert_eq!(
        calls[0].1,
        json!({"commands": [{"command": "start", "description": "Start talking to Acme"}, {"command": "order", "description": "Track an order: /order 123"}], "language_code": "en"})
    );
    assert_eq!(calls[1].0, "answerCallbackQuery");
    assert_eq!(calls[1].1, json!({"callback_query_id": "4382bfdwdsb323b2d9", "show_alert": false, "text": "Thanks!"}));

    f.api.enqueue(common::error(
        400,
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    ));
    let late = f.channel.answer_callback_query("4382bfdwdsb323b2d9", None, false).await.unwrap_err();
    assert_eq!(late.kind(), ErrorKind::PlatformRejected);
    f.api.enqueue(ScriptedResponse::text(502, "Bad Gateway"));
    assert!(f.channel.webhook_info().await.unwrap_err().is_temporary(), "a management call is safe to repeat");
}

#[tokio::test]
async fn without_an_http_client_or_with_unsupported_content_nothing_is_called() {
    let f = fixture().await;
    let template = Content::Template { name: "order_shipped".into(), language: "en".into(), parameters: vec![] };
    assert_eq!(f.send(&template).await.unwrap_err().kind(), ErrorKind::Unsupported);
    let offline = common::channel();
    let content = Content::text("hi");
    let to = common::customer(&f.account, USER);
    let request = SendRequest::new(&f.account, &to, &content, MessageId::new());
    assert_eq!(offline.send(&request).await.unwrap_err().kind(), ErrorKind::Configuration);
    assert_eq!(f.api.request_count(), 0);
}

#[tokio::test]
async fn formatted_text_goes_with_its_entities_or_its_parse_mode() {
    let f = fixture().await;
    let to = common::customer(&f.account, USER);
    let text = FormattedText::with_entities("Order TH-20931 shipped", vec![MessageEntity::new("bold", 6, 8)]);
    let receipt = f.channel.send_text(&to, &text, Some("5123456789:4821")).await.unwrap();
    assert_eq!(receipt.platform_message_id, format!("{USER}:5000"));
    let markup = FormattedText::with_parse_mode("Order <b>TH-20931</b> shipped", ParseMode::Html);
    f.channel.send_text(&to, &markup, None).await.unwrap();
    let calls = f.calls();
    assert_eq!(calls[0].1["entities"], json!([{"type": "bold", "offset": 6, "length": 8}]));
    assert_eq!(calls[0].1["reply_parameters"]["message_id"], 4821);
    assert_eq!(
        (calls[1].1["parse_mode"].as_str(), calls[1].1["text"].as_str()),
        (Some("HTML"), Some("Order <b>TH-20931</b> shipped"))
    );
    f.api.enqueue(common::error(
        400,
        "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"",
    ));
    let broken = FormattedText::with_parse_mode("Order <b>TH-20931 shipped", ParseMode::Html);
    assert_eq!(f.channel.send_text(&to, &broken, None).await.unwrap_err().kind(), ErrorKind::PlatformRejected);
}
