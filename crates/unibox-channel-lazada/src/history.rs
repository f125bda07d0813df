//! [`ConversationHistory`] for Lazada: `/im/session/list` pages (newest first, by
//! `start_time` and `last_session_id`), and each session's latest messages
//! (`/im/message/list`).
//!
//! Pulled messages go through the push parser in the shape of an IM push (`message_type` 2),
//! so a message pulled and pushed has the same event id (`im:{message_id}`) and is stored once.
//! Lazada keeps no lost pushes to pull: its retries (12 over 6 hours) and this back-fill cover
//! them.

use async_trait::async_trait;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use unibox_channel_marketplace::lenient::Id;
use unibox_channel_marketplace::pulled;
use unibox_core::history::{ConversationHistory, HistoryPage};
use unibox_core::{ChannelAccount, Error, ErrorKind, InboundEvent, Result};

use crate::fetch::unexpected;
use crate::{LazadaChannel, inbound};

/// The session list path.
pub(crate) const SESSIONS_PATH: &str = "/im/session/list";
/// The message list path.
pub(crate) const MESSAGES_PATH: &str = "/im/message/list";

/// Sessions per back-fill page: each costs one more request for its messages.
const SESSIONS_PER_PAGE: &str = "10";
/// The latest messages pulled per session (Lazada's maximum).
const MESSAGES_PER_SESSION: &str = "20";

/// Where a back-fill stands: the next session page's `start_time` and `last_session_id`.
#[derive(Serialize, Deserialize)]
struct Position {
    start_time: i64,
    #[serde(default)]
    last_session_id: Option<String>,
}

#[derive(Deserialize)]
struct SessionPage {
    #[serde(default)]
    session_list: Vec<Session>,
    #[serde(default)]
    has_more: bool,
    #[serde(default)]
    next_start_time: Option<i64>,
    #[serde(default)]
    last_session_id: Id,
}

#[derive(Deserialize)]
struct Session {
    #[serde(default)]
    session_id: Id,
}

#[derive(Deserialize)]
struct MessagePage {
    #[serde(default)]
    message_list: Vec<serde_json::Map<String, serde_json::Value>>,
}

impl LazadaChannel {
    /// One session's latest messages, as the events their pushes become.
    async fn messages_of(
        &self,
        account: &ChannelAccount,
        token: Option<&SecretString>,
        session: &str,
    ) -> Result<Vec<InboundEvent>> {
        const OP: &str = "lazada.history.messages";
        let now = self.clock.now();
        let start = now.as_unix_millis().to_string();
        let parameters = [("session_id", session), ("start_time", start.as_str()), ("page_size", MESSAGES_PER_SESSION)];
        let data = self.read(account, token, MESSAGES_PATH, &parameters, OP).await?;
        let page: MessagePage = serde_json::from_value(data).map_err(|_| unexpected(OP, "the message list"))?;
        let seller = &account.platform_account_id;
        let as_push = |mut message: serde_json::Map<String, serde_json::Value>| {
            message.entry("session_id").or_insert_with(|| session.into());
            serde_json::json!({"seller_id": seller, "message_type": 2, "data": message})
        };
        Ok(pulled::events_of("lazada", page.message_list, as_push, |body| Ok(inbound::parse(body, now)?.events)))
    }
}

#[async_trait]
impl ConversationHistory for LazadaChannel {
    async fn backfill(
        &self,
        account: &ChannelAccount,
        access_token: Option<&SecretString>,
        from: Option<&str>,
    ) -> Result<HistoryPage> {
        const OP: &str = "lazada.history.backfill";
        let position = match from {
            None => Position { start_time: self.clock.now().as_unix_millis(), last_session_id: None },
            Some(text) => serde_json::from_str(text).map_err(|_| {
                Error::new(ErrorKind::InvalidInput, "not a Lazada back-fill position").with_operation(OP)
            })?,
        };
        let start = position.start_time.to_string();
        let mut parameters = vec![("start_time", start.as_str()), ("page_size", SESSIONS_PER_PAGE)];
        if let Some(last) = position.last_session_id.as_deref() {
            parameters.push(("last_session_id", last));
        }
        let data = self.read(account, access_token, SESSIONS_PATH, &parameters, OP).await?;
        let page: SessionPage = serde_json::from_value(data).map_err(|_| unexpected(OP, "the session list"))?;
        let mut events = Vec::new();
        for session in page.session_list.iter().filter_map(|s| s.session_id.0.as_deref()) {
            events.extend(self.messages_of(account, access_token, session).await?);
        }
        match (page.has_more, page.next_start_time) {
            (true, Some(next_start)) if !page.session_list.is_empty() => {
                let next = Position { start_time: next_start, last_session_id: page.last_session_id.0 };
                let next = serde_json::to_string(&next).map_err(|_| unexpected(OP, "the session list"))?;
                Ok(HistoryPage::more(events, next))
            }
            _ => Ok(HistoryPage::last(events)),
        }
    }
}
