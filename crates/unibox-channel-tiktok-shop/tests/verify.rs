//! The webhook check on the channel: the exact body with the app key, one header only, either
//! secret while resetting it, and no secret in any `Debug` output.

mod common;

use unibox_channel_tiktok_shop::{TikTokShopChannel, TikTokShopConfig, push_signature};
use unibox_core::channel::WebhookRequest;
use unibox_core::{Channel, ErrorKind};

use common::{APP_KEY, APP_SECRET, URL};

#[test]
fn a_reformatted_body_a_repeated_header_or_another_app_key_is_refused() {
    let channel = common::channel();
    let body = common::fixture("order_status");
    assert!(channel.verify(&common::signed(&body)).is_ok());
    let reformatted: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let mut request = common::signed(&body);
    request.body = serde_json::to_vec_pretty(&reformatted).unwrap().into();
    assert_eq!(channel.verify(&request).unwrap_err().kind(), ErrorKind::SignatureInvalid);

    let mut repeated = common::signed(&body);
    let value = repeated.headers.get("authorization").unwrap().clone();
    repeated.headers.append("authorization", value);
    assert!(channel.verify(&repeated).unwrap_err().to_string().contains("repeated"));

    let other_app = WebhookRequest::post(URL.parse().unwrap(), body.clone())
        .with_header("authorization", &push_signature("7f0e1d", APP_SECRET, &body));
    assert_eq!(channel.verify(&other_app).unwrap_err().kind(), ErrorKind::SignatureInvalid);
}

#[test]
fn either_secret_verifies_while_the_app_secret_is_reset() {
    let config =
        TikTokShopConfig::builder().app_key(APP_KEY).app_secret("new-secret").app_secret(APP_SECRET).build().unwrap();
    let channel = TikTokShopChannel::new(config);
    let body = common::fixture("new_message_text");
    assert!(channel.verify(&common::signed(&body)).is_ok());
    assert!(channel.verify(&common::signed_with("new-secret", &body)).is_ok());
    assert!(channel.verify(&common::signed_with(common::OTHER_SECRET, &body)).is_err());
}

#[test]
fn debug_of_the_config_and_the_channel_never_shows_a_secret() {
    let channel = common::channel();
    let shown =
        format!("{:?} {:?} {:?}", channel, channel.config(), TikTokShopConfig::builder().app_secret(APP_SECRET));
    assert!(!shown.contains(APP_SECRET), "{shown}");
    assert!(shown.contains(APP_KEY));
}
