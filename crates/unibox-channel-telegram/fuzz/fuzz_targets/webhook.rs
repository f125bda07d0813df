//! Telegram update verification and parsing: any authentic body gives events or
//! `MalformedPayload`, never a panic and never another error kind.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unibox_channel_telegram::{TelegramChannel, TelegramConfig};
use unibox_core::channel::WebhookRequest;
use unibox_core::{Channel, ErrorKind};

const SECRET_TOKEN: &str = "k3Jx9_vQ2-mT7pLwZr4sN8bYc1fHd6gE";

fuzz_target!(|body: &[u8]| {
    let config = TelegramConfig::builder()
        .bot_token("123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")
        .secret_token(SECRET_TOKEN)
        .build()
        .expect("a valid configuration");
    let channel = TelegramChannel::new(config);
    let url = "https://inbox.example.com/webhooks/telegram".parse().expect("a valid URL");
    let request = WebhookRequest::post(url, body.to_vec()).with_header("X-Telegram-Bot-Api-Secret-Token", SECRET_TOKEN);
    let verified = channel.verify(&request).expect("the secret token matches");
    match channel.parse(&verified) {
        Ok(events) => assert!(events.iter().all(|event| !event.id.is_empty() && !event.account.is_empty())),
        Err(error) => assert_eq!(error.kind(), ErrorKind::MalformedPayload, "{error}"),
    }
});
