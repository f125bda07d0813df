//! Push verification over the exact body and the configured callback URL: every fixture
//! verifies as signed, and the Host header, re-serialized JSON, another URL, a duplicated or
//! missing header are refused; no secret shows in Debug.

mod common;

use unibox_core::channel::WebhookRequest;
use unibox_core::{Channel, ErrorKind};

#[test]
fn every_fixture_verifies_signed_over_the_registered_url_and_the_raw_body() {
    let channel = common::channel();
    for name in common::fixture_names() {
        assert!(channel.verify(&common::signed(&common::fixture(&name))).is_ok(), "{name}");
    }
}

#[test]
fn the_url_is_the_configured_one_never_the_request_s_host() {
    let channel = common::channel();
    let body = common::fixture("text");
    // An attacker's host in the request and a signature computed for it: refused.
    let forged_url = "https://attacker.example/webhooks/shopee?tenant=acme";
    let mut request = WebhookRequest::post(forged_url.parse().unwrap(), body.clone())
        .with_header("host", "attacker.example")
        .with_header(
            "authorization",
            &unibox_channel_shopee::push_authorization(common::PARTNER_KEY, forged_url, &body),
        );
    assert_eq!(channel.verify(&request).unwrap_err().kind(), ErrorKind::SignatureInvalid);
    // The genuine signature verifies whatever the request's URL and Host say (behind a proxy).
    request.headers.remove("authorization");
    let genuine = unibox_channel_shopee::push_authorization(common::PARTNER_KEY, common::CALLBACK_URL, &body);
    let request = request.with_header("authorization", &genuine);
    assert!(channel.verify(&request).is_ok());
    // The query string is part of the registered URL.
    let without_query = common::signed_for(common::PARTNER_KEY, "https://inbox.example.com/webhooks/shopee", &body);
    assert!(channel.verify(&without_query).is_err());
}

#[test]
fn re_serialized_json_and_a_duplicated_header_are_refused() {
    let channel = common::channel();
    let body = common::fixture("order_status");
    let request = common::signed(&body);
    let reserialized: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let mut changed = request.clone();
    changed.body = serde_json::to_vec_pretty(&reserialized).unwrap().into();
    assert_eq!(channel.verify(&changed).unwrap_err().kind(), ErrorKind::SignatureInvalid);
    let mut doubled = request.clone();
    let value = doubled.headers.get("authorization").unwrap().clone();
    doubled.headers.append("authorization", value);
    assert!(channel.verify(&doubled).unwrap_err().message().contains("more than once"));
    assert!(channel.verify(&request).is_ok());
}

#[test]
fn debug_of_the_config_and_the_channel_never_shows_a_secret() {
    let channel = common::channel();
    for text in [format!("{:?}", common::config()), format!("{channel:?}")] {
        assert!(!text.contains(&common::PARTNER_KEY[..16]), "{text}");
        assert!(text.contains("2001887"));
    }
    let builder = unibox_channel_shopee::ShopeeConfig::builder().partner_key(common::PARTNER_KEY);
    assert!(!format!("{builder:?}").contains(&common::PARTNER_KEY[..16]));
}

#[test]
fn the_configuration_is_checked_once() {
    use unibox_channel_shopee::ShopeeConfig;
    let kind = |builder: unibox_channel_shopee::ShopeeConfigBuilder| builder.build().unwrap_err().kind();
    let base = || ShopeeConfig::builder().partner_id(1).partner_key("k").callback_url("https://x.example/hook");
    assert!(base().build().is_ok());
    assert_eq!(kind(base().partner_id(0)), ErrorKind::Configuration);
    assert_eq!(
        kind(ShopeeConfig::builder().partner_id(1).callback_url("https://x.example/hook")),
        ErrorKind::Configuration
    );
    assert_eq!(kind(base().partner_key(" ")), ErrorKind::Configuration);
    assert_eq!(kind(base().callback_url("/webhooks/shopee")), ErrorKind::Configuration);
    assert_eq!(kind(base().callback_url("ftp://x.example/hook")), ErrorKind::Configuration);
    assert_eq!(kind(base().callback_url("https://x.example/hook#frag")), ErrorKind::Configuration);
}
