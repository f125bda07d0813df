//! `POST /api/v2/sellerchat/send_message` and `/api/v2/sellerchat/read_conversation`.
//!
//! Shopee has no idempotency key for chat: a send whose answer is lost is `DeliveryUnknown`
//! and is not retried automatically (see the error table).

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;
use unibox_core::channel::{SendReceipt, SendRequest};
use unibox_core::{ChannelAccount, Error, ErrorKind, Result};

use crate::api::Signed;
use crate::error_map::{self, Call};
use crate::inbound::Id;
use crate::tokens::shop_id;
use crate::{ShopeeChannel, SignedCall};

/// The send path.
pub(crate) const SEND_PATH: &str = "/api/v2/sellerchat/send_message";
/// The mark-read path.
pub(crate) const READ_PATH: &str = "/api/v2/sellerchat/read_conversation";

/// `{"response": {"message_id": "...", "conversation_id": 7091220924766868670, ...}}`: the
/// conversation id comes as a bare number past 2^53, so both are read as exact [`Id`]s.
#[derive(Deserialize)]
struct Sent {
    response: SentMessage,
}

#[derive(Deserialize)]
struct SentMessage {
    #[serde(default)]
    message_id: Id,
    #[serde(default)]
    conversation_id: Id,
}

impl ShopeeChannel {
    pub(crate) async fn deliver(&self, request: &SendRequest<'_>) -> Result<SendReceipt> {
        const OPERATION: &str = "shopee.send";
        let shop = shop_id(request.account, OPERATION)?;
        let api = self.api(OPERATION)?;
        let token = request.access_token.ok_or_else(|| missing_token(request.account, OPERATION))?;
        let to_id = request.recipient.value.parse::<u64>().map_err(|_| {
            Error::new(ErrorKind::InvalidInput, "a Shopee buyer id (to_id) is a number").with_operation(OPERATION)
        })?;
        let (message_type, content) = crate::outbound::message(request.content)?;
        let body = json!({"to_id": to_id, "message_type": message_type, "content": content});
        let signed = self.signed_for_shop(SEND_PATH, token, shop, OPERATION)?;
        let response = api
            .post(&signed, &body)
            .await
            .map_err(|e| error_map::from_transport(Call::Send, e).with_operation(OPERATION))?;
        if !error_map::succeeded(&response) {
            return Err(error_map::from_response(Call::Send, &response).with_operation(OPERATION));
        }
        let sent: Sent = serde_json::from_slice(response.body()).map_err(|_| accepted_without_id(OPERATION))?;
        if sent.response.message_id.is_empty() {
            return Err(accepted_without_id(OPERATION));
        }
        if !sent.response.conversation_id.is_empty() {
            self.conversations.remember(
                &request.account.platform_account_id,
                &request.recipient.value,
                sent.response.conversation_id.as_str(),
            );
        }
        Ok(SendReceipt::new(sent.response.message_id.0))
    }

    /// Marks the shop's conversation read up to `last_read_message_id`
    /// (`POST /api/v2/sellerchat/read_conversation`). Safe to repeat.
    ///
    /// `conversation_id` is Shopee's (a number past 2^53, given as its decimal text); the
    /// channel remembers the conversation of each buyer it saw a message from or sent to:
    /// [`conversation_of`](Self::conversation_of).
    pub async fn mark_read(
        &self,
        account: &ChannelAccount,
        access_token: &SecretString,
        conversation_id: &str,
        last_read_message_id: &str,
    ) -> Result<()> {
        const OPERATION: &str = "shopee.mark_read";
        let shop = shop_id(account, OPERATION)?;
        let api = self.api(OPERATION)?;
        let conversation = conversation_id.parse::<u64>().map_err(|_| {
            Error::new(ErrorKind::InvalidInput, "a Shopee conversation id is a number").with_operation(OPERATION)
        })?;
        if last_read_message_id.is_empty() {
            return Err(Error::new(ErrorKind::InvalidInput, "the last read Shopee message id is required")
                .with_operation(OPERATION));
        }
        let body = json!({"conversation_id": conversation, "last_read_message_id": last_read_message_id});
        let signed = self.signed_for_shop(READ_PATH, access_token, shop, OPERATION)?;
        let response = api
            .post(&signed, &body)
            .await
            .map_err(|e| error_map::from_transport(Call::Read, e).with_operation(OPERATION))?;
        if !error_map::succeeded(&response) {
            return Err(error_map::from_response(Call::Read, &response).with_operation(OPERATION));
        }
        Ok(())
    }

    fn signed_for_shop<'a>(
        &'a self,
        path: &'static str,
        token: &'a SecretString,
        shop_id: u64,
        operation: &'static str,
    ) -> Result<Signed<'a>> {
        Ok(Signed {
            path,
            call: SignedCall::Shop { access_token: token.expose_secret(), shop_id },
            partner_id: self.config.api_partner_id(operation)?,
            partner_key: self.config.signing_key(),
            timestamp: self.clock.now().as_unix_seconds(),
        })
    }
}

fn missing_token(account: &ChannelAccount, operation: &'static str) -> Error {
    Error::new(
        ErrorKind::Configuration,
        "no access token is stored for this Shopee shop: exchange the authorization code and store the tokens",
    )
    .with_operation(operation)
    .with_context("account", account.id)
}

fn accepted_without_id(operation: &'static str) -> Error {
    Error::new(ErrorKind::DeliveryUnknown, "Shopee accepted the send but named no message id: check before resending")
        .with_operation(operation)
}
