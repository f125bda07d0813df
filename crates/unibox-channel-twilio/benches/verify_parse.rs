//! Verify + parse + normalize of a ~600-byte Twilio SMS webhook.
//!
//! ```sh
//! cargo bench -p unibox-channel-twilio --bench verify_parse
//! ```
//!
//! The body is one customer SMS as Twilio posts it (form-encoded, 20 parameters, 574 bytes).
//! Verification decodes and sorts the parameters, computes HMAC-SHA1 over the configured URL and
//! every name and value, and reads the event from the decoded form for the parse that follows
//! (kept on the `Verified` request, `Verified::take_prepared`). `verify_parse` is that real path. `parse` alone, repeated on one verified
//! request, finds nothing kept after its first call and decodes the body itself every time: it
//! is the cost of a parse without the preceding verify. Each step is measured on criterion's
//! wall clock and on the thread's CPU clock (`*_on_cpu`, `unibox_testkit::bench::on_cpu_time`),
//! which does not count waiting for a core on a loaded, shared machine.

use criterion::{Criterion, criterion_group, criterion_main};
use unibox_channel_twilio::{TwilioChannel, TwilioConfig, signature_header};
use unibox_core::channel::WebhookRequest;
use unibox_testkit::bench::verify_parse_group;

const AUTH_TOKEN: &str = "9c1f0e2d3b4a59687f6e5d4c3b2a1908";
const URL: &str = "https://inbox.example.com/webhooks/twilio";

/// A customer's SMS: 574 bytes.
const BODY: &str = "ToCountry=US&ToState=CA&SmsMessageSid=SM0b8c2d4e6f8a0b2c4d6e8f0a2b4c6d8e&NumMedia=0&ToCity=SAN+FRANCISCO&FromZip=&SmsSid=SM0b8c2d4e6f8a0b2c4d6e8f0a2b4c6d8e&FromState=&SmsStatus=received&FromCity=BANGKOK&Body=Hi%2C+I+ordered+the+standing+desk+%28TH-20931%29+on+Monday.+Has+it+left+the+Bangkok+warehouse+yet%3F+Thanks%2C+Somchai&FromCountry=TH&To=%2B14155550100&MessagingServiceSid=MG9f8e7d6c5b4a39281706f5e4d3c2b1a0&ToZip=94105&NumSegments=1&MessageSid=SM0b8c2d4e6f8a0b2c4d6e8f0a2b4c6d8e&AccountSid=AC3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c&From=%2B66812345678&ApiVersion=2010-04-01";

fn channel() -> TwilioChannel {
    let config = TwilioConfig::builder()
        .account_sid("AC3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c")
        .auth_token(AUTH_TOKEN)
        .webhook_url(URL)
        .build();
    match config {
        Ok(config) => TwilioChannel::new(config),
        Err(error) => panic!("the bench configuration is valid: {error}"),
    }
}

fn verify_parse(c: &mut Criterion) {
    let channel = channel();
    let request = WebhookRequest::post(URL.parse().expect("valid URL"), BODY)
        .with_header("content-type", "application/x-www-form-urlencoded")
        .with_header("x-twilio-signature", &signature_header(AUTH_TOKEN, URL, BODY.as_bytes()));
    verify_parse_group(c, "twilio", &channel, &request);
}

criterion_group!(benches, verify_parse);
criterion_main!(benches);
