//! The push check: `Authorization` = lowercase hex HMAC-SHA256 of `app_key + raw body` with
//! the app secret (Lazada Push Mechanism), in constant time; shared with TikTok Shop in
//! `unibox-channel-marketplace`.

use unibox_channel_marketplace::push::verify_push;
use unibox_core::Result;
use unibox_core::channel::{Verified, WebhookRequest};

use crate::LazadaConfig;

pub(crate) fn verify<'r>(request: &'r WebhookRequest, config: &LazadaConfig) -> Result<Verified<'r>> {
    verify_push(request, &config.app_key, &config.app_secrets, "lazada.verify")
}
