//! Twilio webhook verification and parsing: any authentic body gives events or
//! `MalformedPayload`, never a panic and never another error kind.
#![no_main]

use libfuzzer_sys::fuzz_target;
use unibox_channel_twilio::{TwilioChannel, TwilioConfig, json_webhook_url, signature_header};
use unibox_core::channel::WebhookRequest;
use unibox_core::{Channel, ErrorKind};

const AUTH_TOKEN: &str = "9c1f0e2d3b4a59687f6e5d4c3b2a1908";
const URL: &str = "https://inbox.example.com/webhooks/twilio";

fuzz_target!(|body: &[u8]| {
    let config = TwilioConfig::builder()
        .account_sid("AC3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c")
        .auth_token(AUTH_TOKEN)
        .webhook_url(URL)
        .build()
        .expect("a valid configuration");
    let channel = TwilioChannel::new(config);
    // The bytes as a signed form, then as a signed JSON body (`bodySHA256`).
    let form = WebhookRequest::post(URL.parse().expect("a valid URL"), body.to_vec())
        .with_header("X-Twilio-Signature", &signature_header(AUTH_TOKEN, URL, body));
    let json_url = json_webhook_url(URL, body);
    let json = WebhookRequest::post(json_url.parse().expect("a valid URL"), body.to_vec())
        .with_header("X-Twilio-Signature", &signature_header(AUTH_TOKEN, &json_url, b""));
    for request in [form, json] {
        let verified = channel.verify(&request).expect("signed with the Auth Token");
        match channel.parse(&verified) {
            Ok(events) => assert!(events.iter().all(|event| !event.id.is_empty() && !event.account.is_empty())),
            Err(error) => assert_eq!(error.kind(), ErrorKind::MalformedPayload, "{error}"),
        }
    }
});
