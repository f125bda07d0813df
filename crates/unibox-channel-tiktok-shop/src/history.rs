//! [`ConversationHistory`] for TikTok Shop: `GET /customer_service/202309/conversations` pages
//! (by `page_token`), and each conversation's latest messages
//! (`GET /customer_service/202309/conversations/{id}/messages`).
//!
//! Pulled messages go through the webhook parser in the shape of a NEW_MESSAGE webhook (type
//! 14), so a message pulled and pushed has the same event id (`message:{message_id}`) and is
//! stored once. TikTok Shop keeps no lost webhooks to pull: its 4 retries and this back-fill
//! cover them.

use async_trait::async_trait;
use secrecy::SecretString;
use serde::Deserialize;
use unibox_channel_marketplace::lenient::Id;
use unibox_channel_marketplace::pulled;
use unibox_core::history::{ConversationHistory, HistoryPage};
use unibox_core::{ChannelAccount, Error, ErrorKind, InboundEvent, Result};

use crate::fetch::unexpected;
use crate::outbound::send::conversation_path;
use crate::{TikTokShopChannel, inbound};

/// The conversation list path.
pub(crate) const CONVERSATIONS_PATH: &str = "/customer_service/202309/conversations";
/// Conversations per back-fill page (TikTok Shop's maximum is 20): each costs one more request.
const CONVERSATIONS_PER_PAGE: &str = "10";
/// The latest messages pulled per conversation (TikTok Shop's maximum).
const MESSAGES_PER_CONVERSATION: &str = "10";

#[derive(Deserialize)]
struct ConversationPage {
    #[serde(default)]
    conversations: Vec<Conversation>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct Conversation {
    #[serde(default)]
    id: Id,
}

#[derive(Deserialize)]
struct MessagePage {
    #[serde(default)]
    messages: Vec<serde_json::Map<String, serde_json::Value>>,
}

impl TikTokShopChannel {
    /// One conversation's latest messages, as the events their webhooks become.
    async fn messages_of(
        &self,
        account: &ChannelAccount,
        token: Option<&SecretString>,
        conversation: &str,
    ) -> Result<Vec<InboundEvent>> {
        const OP: &str = "tiktok_shop.history.messages";
        let path = conversation_path(conversation, "messages").map_err(|e| e.with_operation(OP))?;
        let query = [("page_size", MESSAGES_PER_CONVERSATION), ("sort_field", "create_time")];
        let data = self.read(account, token, &path, &query, None, OP).await?;
        let page: MessagePage = serde_json::from_value(data).map_err(|_| unexpected(OP, "the message list"))?;
        let now = self.clock.now();
        let shop = &account.platform_account_id;
        let as_webhook = |mut message: serde_json::Map<String, serde_json::Value>| {
            // The listing calls the message id `id`; the webhook `message_id`.
            if let Some(id) = message.remove("id") {
                message.entry("message_id").or_insert(id);
            }
            message.entry("conversation_id").or_insert_with(|| conversation.into());
            serde_json::json!({"type": 14, "shop_id": shop, "data": message})
        };
        Ok(pulled::events_of("tiktok_shop", page.messages, as_webhook, |body| Ok(inbound::parse(body, now)?.events)))
    }
}

#[async_trait]
impl ConversationHistory for TikTokShopChannel {
    async fn backfill(
        &self,
        account: &ChannelAccount,
        access_token: Option<&SecretString>,
        from: Option<&str>,
    ) -> Result<HistoryPage> {
        const OP: &str = "tiktok_shop.history.backfill";
        if from.is_some_and(|token| token.is_empty() || token.len() > 512) {
            return Err(Error::new(ErrorKind::InvalidInput, "not a TikTok Shop page token").with_operation(OP));
        }
        let mut query = vec![("page_size", CONVERSATIONS_PER_PAGE)];
        if let Some(token) = from {
            query.push(("page_token", token));
        }
        let data = self.read(account, access_token, CONVERSATIONS_PATH, &query, None, OP).await?;
        let page: ConversationPage =
            serde_json::from_value(data).map_err(|_| unexpected(OP, "the conversation list"))?;
        let mut events = Vec::new();
        for conversation in page.conversations.iter().filter_map(|c| c.id.0.as_deref()) {
            events.extend(self.messages_of(account, access_token, conversation).await?);
        }
        match page.next_page_token.filter(|t| !t.is_empty()) {
            Some(next) if !page.conversations.is_empty() => Ok(HistoryPage::more(events, next)),
            _ => Ok(HistoryPage::last(events)),
        }
    }
}
