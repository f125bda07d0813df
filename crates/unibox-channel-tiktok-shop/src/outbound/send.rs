//! The send and mark-read calls.

use http::Method;
use secrecy::SecretString;
use unibox_channel_marketplace::outbound::send_in_parts;
use unibox_channel_marketplace::transport::{self, Call};
use unibox_core::channel::{SendReceipt, SendRequest};
use unibox_core::{ChannelAccount, Error, ErrorKind, Result};

use crate::TikTokShopChannel;
use crate::api;
use crate::error_map;

const OPERATION: &str = "tiktok_shop.send";

/// Conversation ids are decimal; anything else could change the path.
pub(crate) fn conversation_path(conversation: &str, suffix: &str) -> Result<String> {
    if conversation.is_empty() || !conversation.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::new(ErrorKind::InvalidInput, "a TikTok Shop conversation id is letters and digits")
            .with_operation(OPERATION));
    }
    Ok(format!("/customer_service/202309/conversations/{conversation}/{suffix}"))
}

impl TikTokShopChannel {
    pub(crate) async fn deliver(&self, request: &SendRequest<'_>) -> Result<SendReceipt> {
        let api = self.api(OPERATION)?;
        let token = request.access_token.ok_or_else(|| {
            Error::new(
                ErrorKind::Configuration,
                "no access token is stored for this TikTok Shop shop: connect it first",
            )
            .with_operation(OPERATION)
            .with_context("account", request.account.id)
        })?;
        let path = conversation_path(&request.recipient.value, "messages")?;
        let bodies = crate::outbound::bodies(request.content)?;
        let cipher = self.shop_cipher(&request.account.platform_account_id, OPERATION)?;
        let (path, cipher) = (path.as_str(), cipher.as_str());
        let send_one = |body: Vec<u8>| async move {
            let call = api::Call {
                method: Method::POST,
                path,
                shop_cipher: Some(cipher),
                query: &[],
                access_token: token,
                body: Some(body),
            };
            let response = api
                .call(&self.config, call, self.clock.now())
                .await
                .map_err(|e| transport::from_transport("TikTok Shop", Call::Send, e))?;
            let data = error_map::data_of(Call::Send, &response)?;
            data.get("message_id")
                .and_then(|id| id.as_str())
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| transport::unreadable_answer("TikTok Shop", Call::Send))
        };
        send_in_parts(bodies, send_one).await.map_err(|e| e.with_operation(OPERATION))
    }

    /// Marks the conversation read on TikTok Shop
    /// (`POST /customer_service/202309/conversations/{id}/messages/read`).
    ///
    /// ```no_run
    /// # async fn example(channel: &unibox_channel_tiktok_shop::TikTokShopChannel, account: &unibox_core::ChannelAccount, token: &secrecy::SecretString) -> unibox_core::Result<()> {
    /// channel.mark_read(account, token, "710688832392260838").await?;
    /// # Ok(()) }
    /// ```
    pub async fn mark_read(
        &self,
        account: &ChannelAccount,
        access_token: &SecretString,
        conversation_id: &str,
    ) -> Result<()> {
        const OPERATION: &str = "tiktok_shop.mark_read";
        let api = self.api(OPERATION)?;
        let path = conversation_path(conversation_id, "messages/read").map_err(|e| e.with_operation(OPERATION))?;
        let cipher = self.shop_cipher(&account.platform_account_id, OPERATION)?;
        let call = api::Call {
            method: Method::POST,
            path: &path,
            shop_cipher: Some(&cipher),
            query: &[],
            access_token,
            body: Some(b"{}".to_vec()),
        };
        let response = api
            .call(&self.config, call, self.clock.now())
            .await
            .map_err(|e| transport::from_transport("TikTok Shop", Call::Repeatable, e).with_operation(OPERATION))?;
        error_map::data_of(Call::Repeatable, &response)
            .map(|_| ())
            .map_err(|e| e.with_operation(OPERATION).with_context("account", account.id))
    }
}
