//! `X-Twilio-Signature` through the channel: Twilio's own validator vectors, the URL from the
//! configuration (never the proxy's), port variants, JSON bodies, rotation, and forgeries.

mod common;

use serde::Deserialize;
use unibox_channel_twilio::{TwilioChannel, TwilioConfig, json_webhook_url, signature_header};
use unibox_core::channel::WebhookRequest;
use unibox_core::{Channel, ErrorKind};

use common::{ACCOUNT_SID, AUTH_TOKEN, OTHER_TOKEN, URL};

#[derive(Deserialize)]
struct Vectors {
    auth_token: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    name: String,
    configured_url: String,
    request_url: String,
    #[serde(default)]
    form: Option<String>,
    #[serde(default)]
    json_body: Option<String>,
    signature: String,
}

fn vectors() -> Vectors {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/twilio_request_validator.json");
    serde_json::from_slice(&std::fs::read(path).expect("the vector file")).expect("valid vectors")
}

fn channel_for(token: &str, url: &str) -> TwilioChannel {
    TwilioChannel::new(
        TwilioConfig::builder().account_sid(ACCOUNT_SID).auth_token(token).webhook_url(url).build().unwrap(),
    )
}

fn request(url: &str, body: Vec<u8>, signature: &str) -> WebhookRequest {
    WebhookRequest::post(url.parse().unwrap(), body).with_header("X-Twilio-Signature", signature)
}

#[test]
fn twilios_own_validator_vectors_verify_and_their_mutations_do_not() {
    let vectors = vectors();
    assert_eq!(vectors.cases.len(), 7);
    for case in &vectors.cases {
        let channel = channel_for(&vectors.auth_token, &case.configured_url);
        let body = case.form.clone().or(case.json_body.clone()).unwrap().into_bytes();
        let good = request(&case.request_url, body.clone(), &case.signature);
        assert!(channel.verify(&good).is_ok(), "{} should verify", case.name);

        // Another token, another configured host, another scheme, a changed body, a byte appended.
        let refused = |request: &WebhookRequest, channel: &TwilioChannel, what: &str| {
            let error = channel.verify(request).err().unwrap_or_else(|| panic!("{}: {what} verified", case.name));
            assert_eq!(error.kind(), ErrorKind::SignatureInvalid, "{}: {what}", case.name);
        };
        refused(&good, &channel_for("54321", &case.configured_url), "another token");
        refused(
            &good,
            &channel_for(&vectors.auth_token, &case.configured_url.replace("mycompany", "mycompany2")),
            "another host",
        );
        let other_scheme = if case.configured_url.starts_with("https") {
            case.configured_url.replacen("https", "http", 1)
        } else {
            case.configured_url.replacen("http", "https", 1)
        };
        refused(&good, &channel_for(&vectors.auth_token, &other_scheme), "another scheme");
        let mut changed = body.clone();
        let last = changed.len() - 2;
        changed[last] ^= 0x01;
        refused(&request(&case.request_url, changed, &case.signature), &channel, "a changed body");
        refused(
            &request(&case.request_url, [body.as_slice(), b" "].concat(), &case.signature),
            &channel,
            "an extended body",
        );
        refused(
            &request(&format!("{}&x=1", case.request_url), body.clone(), &case.signature),
            &channel,
            "another query",
        );
    }
}

#[test]
fn the_helpers_reproduce_the_vectors() {
    let vectors = vectors();
    for case in vectors.cases.iter().filter(|c| c.form.is_some()) {
        let signed_url = if case.signature == "kvajT1Ptam85bY51eRf/AJRuM3w=" {
            case.request_url.replace(".com/", ".com:443/")
        } else if case.signature == "0ZXoZLH/DfblKGATFgpif+LLRf4=" {
            case.request_url.replace(".com/", ".com:80/")
        } else if case.name == "validation_removes_port_on_https" {
            case.request_url.replace(":1234", "")
        } else {
            case.request_url.clone()
        };
        let form = case.form.as_deref().unwrap().as_bytes();
        assert_eq!(signature_header(&vectors.auth_token, &signed_url, form), case.signature, "{}", case.name);
    }
    let body = br#"{"property": "value", "boolean": true}"#;
    let url = json_webhook_url("https://mycompany.com/myapp.php?foo=1&bar=2", body);
    assert_eq!(signature_header(&vectors.auth_token, &url, b""), "a9nBmqA0ju/hNViExpshrM61xv4=");
}

#[test]
fn a_proxy_in_front_changes_nothing_the_configured_url_is_signed() {
    let channel = common::channel();
    let body = common::fixture("sms");
    let signature = signature_header(AUTH_TOKEN, URL, &body);
    // What the server saw behind a TLS-terminating proxy: http, an internal host and port.
    let behind_proxy = request("http://10.0.3.17:8080/webhooks/twilio", body.clone(), &signature);
    assert!(channel.verify(&behind_proxy).is_ok());
    // A Host header an attacker chose changes nothing either, and a signature made for
    // another URL of the same account does not verify here.
    let other_path = signature_header(AUTH_TOKEN, "https://inbox.example.com/webhooks/other", &body);
    let refused = channel.verify(&request(URL, body, &other_path)).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::SignatureInvalid);
    assert!(refused.message().contains("configured webhook URL"));
}

#[test]
fn a_json_webhook_verifies_by_its_body_hash() {
    let channel = common::channel();
    let body = br#"{"MessageSid":"SM2f4a6c8e0a2c4e6a8c0e2a4c6e8a0c2e","MessageStatus":"delivered","From":"+14155550100","To":"+66812345678","AccountSid":"AC3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"}"#;
    let url = json_webhook_url(URL, body);
    let signed = request(&url, body.to_vec(), &signature_header(AUTH_TOKEN, &url, b""));
    let events = channel.parse(&channel.verify(&signed).unwrap()).unwrap();
    assert_eq!(events[0].id, "SM2f4a6c8e0a2c4e6a8c0e2a4c6e8a0c2e:delivered");
    let mut tampered = signed.clone();
    tampered.body = bytes_replacing(body, b"delivered", b"delivereD");
    assert_eq!(channel.verify(&tampered).unwrap_err().kind(), ErrorKind::SignatureInvalid);
}

#[test]
fn both_tokens_verify_while_the_auth_token_is_rotated() {
    let config = common::config_builder().auth_token(OTHER_TOKEN).build().unwrap();
    let channel = TwilioChannel::new(config);
    let body = common::fixture("whatsapp_text");
    assert!(channel.verify(&common::signed_at(AUTH_TOKEN, URL, &body)).is_ok());
    assert!(channel.verify(&common::signed_at(OTHER_TOKEN, URL, &body)).is_ok());
    assert!(channel.verify(&common::signed_at("1f2e3d4c5b6a79880796a5b4c3d2e1f0", URL, &body)).is_err());
}

#[test]
fn a_missing_or_repeated_signature_header_is_refused_with_a_message_naming_it() {
    let channel = common::channel();
    let body = common::fixture("sms");
    let unsigned = WebhookRequest::post(URL.parse().unwrap(), body.clone());
    assert!(channel.verify(&unsigned).unwrap_err().message().contains("X-Twilio-Signature"));
    let signature = signature_header(AUTH_TOKEN, URL, &body);
    let twice = request(URL, body, &signature).with_header("x-twilio-signature", &signature);
    assert!(channel.verify(&twice).unwrap_err().message().contains("repeated"));
}

#[test]
fn debug_of_the_config_and_the_channel_never_shows_a_secret() {
    let channel = common::channel();
    let shown = format!("{channel:?} {:?}", channel.config());
    assert!(!shown.contains(AUTH_TOKEN));
    assert!(shown.contains(ACCOUNT_SID), "the Account SID is not secret and helps debugging");
}

fn bytes_replacing(body: &[u8], from: &[u8], to: &[u8]) -> bytes::Bytes {
    let text = String::from_utf8(body.to_vec()).unwrap();
    text.replace(std::str::from_utf8(from).unwrap(), std::str::from_utf8(to).unwrap()).into_bytes().into()
}
