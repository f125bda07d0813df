//! Verify + parse + normalize of a ~600-byte Telegram update.
//!
//! ```sh
//! cargo bench -p unibox-channel-telegram --bench verify_parse
//! ```
//!
//! The body is one customer text message in a private chat as the Bot API sends it (compact
//! JSON: `update_id`, the message with its sender, chat, date, text and a `bot_command`
//! entity). Each step is measured twice: criterion's wall clock, and `*_on_cpu`, the time the
//! benchmark thread actually ran (`unibox_testkit::bench::on_cpu_time`), which does not count
//! waiting for a core and so stays meaningful on a loaded, shared machine.

use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use unibox_channel_telegram::{TelegramChannel, TelegramConfig};
use unibox_core::channel::WebhookRequest;
use unibox_core::{ManualClock, Timestamp};
use unibox_testkit::bench::verify_parse_group;

const SECRET_TOKEN: &str = "k3Jx9_vQ2-mT7pLwZr4sN8bYc1fHd6gE";

/// A customer's text message: 576 bytes.
const BODY: &str = r#"{"update_id":735120987,"message":{"message_id":4821,"from":{"id":5123456789,"is_bot":false,"first_name":"Somchai","last_name":"Jaidee","username":"somchai_j","language_code":"th"},"chat":{"id":5123456789,"first_name":"Somchai","last_name":"Jaidee","username":"somchai_j","type":"private"},"date":1732000000,"text":"/order TH-20931 Hello, I ordered the standing desk on Monday. Has it left the Bangkok warehouse yet? Could you share the tracking number, please? Thank you!","entities":[{"offset":0,"length":6,"type":"bot_command"}],"link_preview_options":{"is_disabled":true}}}"#;

fn channel() -> TelegramChannel {
    let config = match TelegramConfig::builder()
        .bot_token("7351209876:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")
        .secret_token(SECRET_TOKEN)
        .bot_username("acme_shop_bot")
        .build()
    {
        Ok(config) => config,
        Err(error) => panic!("the bench configuration is valid: {error}"),
    };
    TelegramChannel::new(config).with_clock(Arc::new(ManualClock::new(Timestamp::from_unix_seconds(1_732_000_001))))
}

fn verify_parse(c: &mut Criterion) {
    let channel = channel();
    let request = WebhookRequest::post("https://inbox.example.com/webhooks/telegram".parse().expect("valid URL"), BODY)
        .with_header("content-type", "application/json")
        .with_header("x-telegram-bot-api-secret-token", SECRET_TOKEN);
    verify_parse_group(c, "telegram", &channel, &request);
}

criterion_group!(benches, verify_parse);
criterion_main!(benches);
