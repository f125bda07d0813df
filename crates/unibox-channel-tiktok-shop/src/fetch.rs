//! Signed shop-scoped calls for reads (orders, products, conversations), with TikTok Shop's
//! answers mapped through the error table.

use http::Method;
use secrecy::SecretString;
use unibox_channel_marketplace::transport::{self, Call};
use unibox_core::{ChannelAccount, Error, ErrorKind, Result};

use crate::error_map;
use crate::{TikTokShopChannel, api};

impl TikTokShopChannel {
    /// `GET path?query` for the account's shop (its `shop_cipher`), or `POST` with `body` when
    /// given; the `data` of the answer.
    pub(crate) async fn read(
        &self,
        account: &ChannelAccount,
        access_token: Option<&SecretString>,
        path: &str,
        query: &[(&str, &str)],
        body: Option<Vec<u8>>,
        operation: &'static str,
    ) -> Result<serde_json::Value> {
        let token = access_token.ok_or_else(|| {
            Error::new(
                ErrorKind::Configuration,
                "no access token is stored for this TikTok Shop shop: connect it first",
            )
            .with_operation(operation)
            .with_context("account", account.id)
        })?;
        let api = self.api(operation)?;
        let cipher = self.shop_cipher(&account.platform_account_id, operation)?;
        let method = if body.is_some() { Method::POST } else { Method::GET };
        let call = api::Call { method, path, shop_cipher: Some(&cipher), query, access_token: token, body };
        let response = api
            .call(&self.config, call, self.clock.now())
            .await
            .map_err(|e| transport::from_transport("TikTok Shop", Call::Repeatable, e).with_operation(operation))?;
        error_map::data_of(Call::Repeatable, &response)
            .map_err(|e| e.with_operation(operation).with_context("account", account.id))
    }
}

/// An answer TikTok Shop called a success but whose shape is not as documented.
pub(crate) fn unexpected(operation: &'static str, what: &str) -> Error {
    Error::new(ErrorKind::PlatformUnavailable, format!("TikTok Shop answered {what} in an unexpected shape"))
        .with_operation(operation)
}
