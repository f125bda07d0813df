//! The buyer of a chat: a TikTok Shop chat's contact is keyed by its conversation, and the
//! webhook names the buyer only by `im_user_id`, which TikTok Shop says cannot look up orders.
//! The conversation list (`GET /customer_service/202309/conversations`) names each
//! participant's `user_id` (the `buyer_user_id` orders carry) beside its role, so the buyer of
//! a conversation is found there, among the most recent conversations, and remembered; a
//! conversation not found is not searched again for 10 minutes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;
use unibox_channel_marketplace::lenient::Id;
use unibox_core::{ChannelAccount, ContactIdentity, IdentityKind, Result, Timestamp};

use crate::fetch::unexpected;
use crate::history::CONVERSATIONS_PATH;
use crate::{CONVERSATION_IDENTITY, TikTokShopChannel};

/// Conversations per page of the search (TikTok Shop's maximum).
const PAGE_SIZE: &str = "20";
/// Pages searched: the 100 most recent conversations (a buyer whose orders are asked for has
/// usually just written).
const MAX_PAGES: usize = 5;
/// Conversations remembered per channel before the memory starts over.
const REMEMBERED: usize = 10_000;
/// How long a conversation the search did not find is not searched again.
const MISS_KEPT: Duration = Duration::from_secs(600);

/// What the conversation list said of a conversation.
#[derive(Clone)]
enum Known {
    /// Its buyer's `user_id` (a conversation's buyer never changes).
    Buyer(String),
    /// Not among the most recent conversations when searched at this time.
    Missing(Timestamp),
}

/// Conversation id -> what the conversation list said of it.
#[derive(Default)]
pub(crate) struct ChatBuyers(Mutex<HashMap<String, Known>>);

impl ChatBuyers {
    fn get(&self, conversation: &str) -> Option<Known> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).get(conversation).cloned()
    }

    fn remember(&self, conversation: String, known: Known) {
        let mut all = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if all.len() >= REMEMBERED {
            all.clear();
        }
        all.insert(conversation, known);
    }
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    conversations: Vec<Conversation>,
    #[serde(default)]
    next_page_token: Option<String>,
}

#[derive(Deserialize)]
struct Conversation {
    #[serde(default)]
    id: Id,
    #[serde(default)]
    participants: Vec<Participant>,
}

#[derive(Deserialize)]
struct Participant {
    #[serde(default)]
    user_id: Id,
    #[serde(default)]
    role: Option<String>,
}

impl TikTokShopChannel {
    /// The buyer identity (`MarketplaceBuyerId`, the `user_id` orders name) of the chat `chat`
    /// (a [`CONVERSATION_IDENTITY`]), from memory or the conversation list; `None` for another
    /// identity or a conversation not among the most recent.
    pub(crate) async fn chat_buyer(
        &self,
        account: &ChannelAccount,
        access_token: Option<&SecretString>,
        chat: &ContactIdentity,
    ) -> Result<Option<ContactIdentity>> {
        const OP: &str = "tiktok_shop.orders.chat_buyer";
        if chat.kind != IdentityKind::Other(CONVERSATION_IDENTITY.into()) || chat.account != account.id {
            return Ok(None);
        }
        let buyer_of = |user: String| ContactIdentity {
            account: chat.account,
            kind: IdentityKind::MarketplaceBuyerId,
            value: user,
        };
        let now = self.clock.now();
        match self.chat_buyers.get(&chat.value) {
            Some(Known::Buyer(user)) => return Ok(Some(buyer_of(user))),
            Some(Known::Missing(at)) if now.as_unix_seconds() - at.as_unix_seconds() < MISS_KEPT.as_secs() as i64 => {
                return Ok(None);
            }
            _ => {}
        }
        let mut page_token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query = vec![("page_size", PAGE_SIZE)];
            if let Some(token) = page_token.as_deref() {
                query.push(("page_token", token));
            }
            let data = self.read(account, access_token, CONVERSATIONS_PATH, &query, None, OP).await?;
            let page: Page = serde_json::from_value(data).map_err(|_| unexpected(OP, "the conversation list"))?;
            let mut found = None;
            for conversation in page.conversations {
                let Some(id) = conversation.id.0 else { continue };
                let buyer = conversation
                    .participants
                    .into_iter()
                    .find(|p| p.role.as_deref() == Some("BUYER"))
                    .and_then(|p| p.user_id.0)
                    .filter(|user| !user.is_empty());
                if let Some(user) = buyer {
                    if id == chat.value {
                        found = Some(user.clone());
                    }
                    self.chat_buyers.remember(id, Known::Buyer(user));
                }
            }
            if found.is_some() {
                return Ok(found.map(buyer_of));
            }
            match page.next_page_token.filter(|t| !t.is_empty()) {
                Some(next) => page_token = Some(next),
                None => break,
            }
        }
        self.chat_buyers.remember(chat.value.clone(), Known::Missing(now));
        Ok(None)
    }
}
