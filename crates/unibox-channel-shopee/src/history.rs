//! [`ConversationHistory`] for Shopee: `sellerchat/get_conversation_list` pages, each
//! conversation's latest messages (`sellerchat/get_message`), and the pushes Shopee kept
//! because they were not delivered (`push/get_lost_push_message`, 3 days, then
//! `push/confirm_consumed_lost_push_message`).
//!
//! Pulled messages go through the webchat push parser, so a message pulled and pushed has the
//! same event id (`message:{message_id}`) and is stored once; lost pushes go through the push
//! parser whole.

use async_trait::async_trait;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use unibox_core::history::{ConversationHistory, HistoryPage};
use unibox_core::{ChannelAccount, Error, ErrorKind, InboundEvent, Result};

use crate::ShopeeChannel;
use crate::fetch::unexpected;
use crate::inbound::{self, Id};

/// The conversation list path.
pub(crate) const CONVERSATIONS_PATH: &str = "/api/v2/sellerchat/get_conversation_list";
/// The message list path.
pub(crate) const MESSAGES_PATH: &str = "/api/v2/sellerchat/get_message";
/// The lost push list path (a partner-level call: it lists every shop's lost pushes).
pub(crate) const LOST_PUSHES_PATH: &str = "/api/v2/push/get_lost_push_message";
/// The lost push confirmation path.
pub(crate) const CONFIRM_LOST_PATH: &str = "/api/v2/push/confirm_consumed_lost_push_message";

/// Conversations per back-fill page: each costs one more request for its messages.
const CONVERSATIONS_PER_PAGE: &str = "10";
/// The latest messages pulled per conversation.
const MESSAGES_PER_CONVERSATION: &str = "50";

/// Where a back-fill stands: the `next_timestamp_nano` of the next conversation page.
#[derive(Serialize, Deserialize)]
struct Position {
    next_timestamp_nano: String,
}

#[derive(Deserialize)]
struct ConversationList {
    response: ConversationPage,
}

#[derive(Deserialize)]
struct ConversationPage {
    #[serde(default)]
    conversations: Vec<ConversationSummary>,
    #[serde(default)]
    page_result: Option<ConversationPageResult>,
}

#[derive(Deserialize)]
struct ConversationSummary {
    conversation_id: Id,
}

#[derive(Deserialize)]
struct ConversationPageResult {
    #[serde(default)]
    more: bool,
    #[serde(default)]
    next_cursor: Option<NextCursor>,
}

#[derive(Deserialize)]
struct NextCursor {
    #[serde(default)]
    next_message_time_nano: Id,
}

#[derive(Deserialize)]
struct MessageList<'a> {
    #[serde(borrow)]
    response: MessagePage<'a>,
}

#[derive(Deserialize)]
struct MessagePage<'a> {
    #[serde(borrow, default)]
    messages: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct LostPushes<'a> {
    #[serde(borrow)]
    response: LostPushPage<'a>,
}

#[derive(Deserialize)]
struct LostPushPage<'a> {
    #[serde(borrow, default)]
    push_message_list: Vec<LostPush<'a>>,
    #[serde(default)]
    last_message_id: Id,
}

/// `{shop_id, code, timestamp, data}`: `data` is the push as a JSON string (the whole push
/// body in Shopee's sample, or only its `data`; both are read).
#[derive(Deserialize)]
struct LostPush<'a> {
    #[serde(default)]
    shop_id: Id,
    #[serde(default)]
    code: i64,
    #[serde(default)]
    timestamp: Option<i64>,
    #[serde(borrow, default)]
    data: Option<std::borrow::Cow<'a, str>>,
}

impl ShopeeChannel {
    /// One conversation's latest messages, as the events their pushes become.
    async fn messages_of(
        &self,
        account: &ChannelAccount,
        token: Option<&SecretString>,
        conversation: &str,
    ) -> Result<Vec<InboundEvent>> {
        const OP: &str = "shopee.history.messages";
        let query = [("conversation_id", conversation), ("page_size", MESSAGES_PER_CONVERSATION)];
        let body = self.shop_get(MESSAGES_PATH, account, token, &query, OP).await?;
        let list: MessageList<'_> = serde_json::from_slice(&body).map_err(|_| unexpected(OP, "the message list"))?;
        let shop = &account.platform_account_id;
        let mut events = Vec::with_capacity(list.response.messages.len());
        let mut seen = Vec::new();
        for message in list.response.messages {
            // The shape of a webchat push's `data`, so the push parser reads it.
            let data = format!(r#"{{"type":"message","content":{}}}"#, message.get());
            let data = RawValue::from_string(data).map_err(|_| unexpected(OP, "a message"))?;
            match inbound::webchat_events(shop, &data, self.clock.now(), &mut seen) {
                Ok(parsed) => events.extend(parsed),
                // One unreadable message does not stop the back-fill of the others.
                Err(error) => tracing::warn!(target: "unibox::shopee", %error, "a pulled message was skipped"),
            }
        }
        for conversation in seen {
            self.conversations.remember(&conversation.shop, &conversation.buyer, &conversation.conversation);
        }
        Ok(events)
    }
}

#[async_trait]
impl ConversationHistory for ShopeeChannel {
    async fn backfill(
        &self,
        account: &ChannelAccount,
        access_token: Option<&SecretString>,
        from: Option<&str>,
    ) -> Result<HistoryPage> {
        const OP: &str = "shopee.history.backfill";
        let position = from
            .map(|from| {
                serde_json::from_str::<Position>(from).map_err(|_| {
                    Error::new(ErrorKind::InvalidInput, "not a Shopee back-fill position").with_operation(OP)
                })
            })
            .transpose()?;
        let mut query = vec![("direction", "older"), ("type", "all"), ("page_size", CONVERSATIONS_PER_PAGE)];
        if let Some(position) = &position {
            query.push(("next_timestamp_nano", position.next_timestamp_nano.as_str()));
        }
        let body = self.shop_get(CONVERSATIONS_PATH, account, access_token, &query, OP).await?;
        let list: ConversationList =
            serde_json::from_slice(&body).map_err(|_| unexpected(OP, "the conversation list"))?;
        let mut events = Vec::new();
        for conversation in &list.response.conversations {
            if conversation.conversation_id.is_empty() {
                continue;
            }
            events.extend(self.messages_of(account, access_token, conversation.conversation_id.as_str()).await?);
        }
        let next = list
            .response
            .page_result
            .filter(|page| page.more && !list.response.conversations.is_empty())
            .and_then(|page| page.next_cursor)
            .map(|cursor| cursor.next_message_time_nano)
            .filter(|nano| !nano.is_empty());
        Ok(match next {
            Some(nano) => {
                let position = serde_json::to_string(&Position { next_timestamp_nano: nano.0 })
                    .map_err(|_| unexpected(OP, "a page cursor"))?;
                HistoryPage::more(events, position)
            }
            None => HistoryPage::last(events),
        })
    }

    /// Shopee's lost pushes are the partner's, not one shop's: a page holds every shop's, and
    /// the hub routes each to its own account (and tenant), as it does pushes.
    async fn lost_pushes(
        &self,
        _account: &ChannelAccount,
        _access_token: Option<&SecretString>,
        _from: Option<&str>,
    ) -> Result<HistoryPage> {
        const OP: &str = "shopee.history.lost_pushes";
        let body = self.partner_call(LOST_PUSHES_PATH, &[], None, OP).await?;
        let page: LostPushes<'_> = serde_json::from_slice(&body).map_err(|_| unexpected(OP, "the lost pushes"))?;
        let now = self.clock.now();
        let mut events = Vec::new();
        let mut seen = Vec::new();
        for push in &page.response.push_message_list {
            let data = push.data.as_deref().unwrap_or("null");
            let whole: Option<serde_json::Value> = serde_json::from_str(data).ok();
            // Shopee's sample keeps the whole push in `data`; otherwise rebuild the envelope.
            let body = match whole {
                Some(value) if value.get("code").is_some() => data.to_owned(),
                _ => format!(
                    r#"{{"code":{},"shop_id":{},"timestamp":{},"data":{}}}"#,
                    push.code,
                    serde_json::Value::String(push.shop_id.0.clone()),
                    push.timestamp.unwrap_or_default(),
                    if serde_json::from_str::<&RawValue>(data).is_ok() { data } else { "null" }
                ),
            };
            match inbound::parse(body.as_bytes(), now, &mut seen) {
                Ok(parsed) => events.extend(parsed),
                Err(error) => {
                    tracing::warn!(target: "unibox::shopee", %error, code = push.code, "a lost push was skipped")
                }
            }
        }
        for conversation in seen {
            self.conversations.remember(&conversation.shop, &conversation.buyer, &conversation.conversation);
        }
        if page.response.push_message_list.is_empty() || page.response.last_message_id.is_empty() {
            return Ok(HistoryPage::last(events));
        }
        Ok(HistoryPage::more(events, page.response.last_message_id.0))
    }

    async fn confirm_lost_pushes(
        &self,
        _account: &ChannelAccount,
        _access_token: Option<&SecretString>,
        through: &str,
    ) -> Result<()> {
        const OP: &str = "shopee.history.confirm_lost_pushes";
        let message_id = through.parse::<u64>().map_err(|_| {
            Error::new(ErrorKind::InvalidInput, "a Shopee lost push message id is a number").with_operation(OP)
        })?;
        self.partner_call(CONFIRM_LOST_PATH, &[], Some(&serde_json::json!({"message_id": message_id})), OP).await?;
        Ok(())
    }

    fn keeps_lost_pushes(&self) -> bool {
        true
    }
}
