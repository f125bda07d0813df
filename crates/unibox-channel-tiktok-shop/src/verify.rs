//! The webhook check: `Authorization` = lowercase hex HMAC-SHA256 of `app_key + raw body` with
//! the app secret, in constant time; shared with Lazada in `unibox-channel-marketplace`.

use unibox_channel_marketplace::push::verify_push;
use unibox_core::Result;
use unibox_core::channel::{Verified, WebhookRequest};

use crate::TikTokShopConfig;

pub(crate) fn verify<'r>(request: &'r WebhookRequest, config: &TikTokShopConfig) -> Result<Verified<'r>> {
    verify_push(request, &config.app_key, &config.app_secrets, "tiktok_shop.verify")
}
