//! The send and mark-read calls.

use secrecy::SecretString;
use unibox_channel_marketplace::outbound::send_in_parts;
use unibox_channel_marketplace::transport::{self, Call};
use unibox_core::channel::{SendReceipt, SendRequest};
use unibox_core::{ChannelAccount, Error, ErrorKind, Result};

use crate::LazadaChannel;
use crate::api::Host;
use crate::error_map;

const OPERATION: &str = "lazada.send";

impl LazadaChannel {
    pub(crate) async fn deliver(&self, request: &SendRequest<'_>) -> Result<SendReceipt> {
        let api = self.api(OPERATION)?;
        let token = request.access_token.ok_or_else(|| {
            Error::new(
                ErrorKind::Configuration,
                "no access token is stored for this Lazada seller: connect the shop first",
            )
            .with_operation(OPERATION)
            .with_context("account", request.account.id)
        })?;
        let session = request.recipient.value.as_str();
        if session.is_empty() {
            return Err(Error::new(ErrorKind::InvalidInput, "the Lazada session id is empty").with_operation(OPERATION));
        }
        let messages = crate::outbound::messages(request.content)?;
        let send_one = |message: crate::outbound::Message| async move {
            let mut parameters: Vec<(&str, &str)> = vec![("session_id", session)];
            parameters.extend(message.iter().map(|(k, v)| (*k, v.as_str())));
            let response = api
                .call(&self.config, Host::Api, "/im/message/send", &parameters, Some(token), self.clock.now())
                .await
                .map_err(|e| transport::from_transport("Lazada", Call::Send, e))?;
            let data = error_map::data_of(Call::Send, &response)?;
            data.get("message_id")
                .and_then(|id| id.as_str().map(str::to_owned).or_else(|| id.as_u64().map(|n| n.to_string())))
                .filter(|id| !id.is_empty())
                .ok_or_else(|| transport::unreadable_answer("Lazada", Call::Send))
        };
        send_in_parts(messages, send_one).await.map_err(|e| e.with_operation(OPERATION))
    }

    /// Marks the session `session_id` read up to `last_read_message_id` on Lazada
    /// (`POST /im/session/read`), so the buyer sees the seller read it.
    ///
    /// ```no_run
    /// # async fn example(channel: &unibox_channel_lazada::LazadaChannel, account: &unibox_core::ChannelAccount, token: &secrecy::SecretString) -> unibox_core::Result<()> {
    /// channel.mark_read(account, token, "100094063_2_1011822749_1_103", "1zYOS7N0cuIqw96026").await?;
    /// # Ok(()) }
    /// ```
    pub async fn mark_read(
        &self,
        account: &ChannelAccount,
        access_token: &SecretString,
        session_id: &str,
        last_read_message_id: &str,
    ) -> Result<()> {
        const OPERATION: &str = "lazada.mark_read";
        let api = self.api(OPERATION)?;
        let parameters = [("session_id", session_id), ("last_read_message_id", last_read_message_id)];
        let response = api
            .call(&self.config, Host::Api, "/im/session/read", &parameters, Some(access_token), self.clock.now())
            .await
            .map_err(|e| transport::from_transport("Lazada", Call::Repeatable, e).with_operation(OPERATION))?;
        error_map::data_of(Call::Repeatable, &response)
            .map(|_| ())
            .map_err(|e| e.with_operation(OPERATION).with_context("account", account.id))
    }
}
