//! Inbox rows: a page of conversations with what an agent's list shows beside each (the
//! contact's name, the channel, the last message, the messaging-window state), read in a
//! fixed number of batch reads per page rather than a few reads per row.

use std::collections::HashMap;

use serde::Serialize;
use unibox_core::channel::OutsideWindow;
use unibox_core::{Actor, Conversation, ConversationStatus, DeliveryStatus, Direction, Hub, Result, Timestamp};

/// One line of an agent's inbox list.
///
/// ```
/// fn title(row: &unibox_agent_api::InboxRow) -> &str {
///     row.contact.name.as_deref().unwrap_or("Unknown customer")
/// }
/// ```
#[derive(Clone, Debug, Serialize)]
pub struct InboxRow {
    /// The conversation id.
    pub id: String,
    /// Open, pending, snoozed or resolved.
    pub status: ConversationStatus,
    /// When a snoozed conversation wakes up.
    pub snoozed_until: Option<Timestamp>,
    /// Who works it.
    pub assignee: Option<String>,
    /// Its tags, sorted.
    pub tags: Vec<String>,
    /// Customer messages nobody has read yet.
    pub unread_count: u32,
    /// The last message or change.
    pub last_activity_at: Timestamp,
    /// When the customer first wrote.
    pub created_at: Timestamp,
    /// The customer.
    pub contact: RowContact,
    /// The channel account it runs on.
    pub channel: RowChannel,
    /// The newest message, if any.
    pub last_message: Option<RowMessage>,
    /// Whether a free-form reply can go out now.
    pub window: WindowState,
}

/// The customer of an [`InboxRow`], from the stored contact profile.
///
/// ```
/// fn name(contact: &unibox_agent_api::RowContact) -> &str { contact.name.as_deref().unwrap_or("Unknown customer") }
/// ```
#[derive(Clone, Debug, Serialize)]
pub struct RowContact {
    /// The contact id.
    pub id: String,
    /// The display name, when known (from the platform or set by the team).
    pub name: Option<String>,
    /// The contact's picture on their platform (LINE, Messenger, Instagram, ...), fetched in the
    /// background by the [`ProfileWorker`](unibox_core::profiles::ProfileWorker) and refreshed
    /// when it is older than its TTL; `None` until then, for platforms without pictures, and for
    /// anything that is not an `http(s)` URL. Show it as an image's source (never as markup),
    /// falling back to the name's initials.
    pub avatar_url: Option<String>,
}

/// The channel account of an [`InboxRow`].
///
/// ```
/// fn icon(channel: &unibox_agent_api::RowChannel) -> &str { &channel.kind }
/// ```
#[derive(Clone, Debug, Serialize)]
pub struct RowChannel {
    /// The channel account id.
    pub account: String,
    /// The hub's channel id (`acme-line`).
    pub channel: String,
    /// The platform (`line`, `messenger`, ...).
    pub kind: String,
    /// The account's display name.
    pub name: String,
}

/// The newest message of an [`InboxRow`].
///
/// ```
/// fn preview(message: &unibox_agent_api::RowMessage) -> &str { message.text.as_deref().unwrap_or(&message.kind) }
/// ```
#[derive(Clone, Debug, Serialize)]
pub struct RowMessage {
    /// The message id.
    pub id: String,
    /// Inbound (from the customer) or outbound.
    pub direction: Direction,
    /// The content kind.
    pub kind: String,
    /// Its text, when it has one.
    pub text: Option<String>,
    /// Its delivery state.
    pub delivery: DeliveryStatus,
    /// When it was sent.
    pub sent_at: Timestamp,
}

/// The messaging-window state of a conversation, from its channel's
/// [`MessagingWindow`](unibox_core::channel::MessagingWindow) and the customer's last message.
///
/// ```
/// use unibox_agent_api::WindowState;
/// let json = serde_json::to_value(WindowState::TemplateRequired).unwrap();
/// assert_eq!(json["state"], "template_required");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum WindowState {
    /// The platform has no messaging window: replies can always go out.
    Unlimited,
    /// Free-form replies can go out until `closes_at` (for a human agent, who may get a longer
    /// window than automations).
    Open {
        /// When the window closes.
        closes_at: Timestamp,
    },
    /// The window is closed: only an approved template can go out.
    TemplateRequired,
    /// The window is closed and nothing can go out until the customer writes again.
    Closed,
}

impl WindowState {
    /// The state for a human agent's reply at `now`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use unibox_agent_api::WindowState;
    /// use unibox_core::channel::{MessagingWindow, OutsideWindow};
    /// use unibox_core::Timestamp;
    /// let window = MessagingWindow { free_form: Duration::from_secs(24 * 3600), human_agent: None, outside: OutsideWindow::TemplatesOnly };
    /// let wrote = Timestamp::from_unix_seconds(1_000_000);
    /// let later = Timestamp::from_unix_seconds(1_000_000 + 21 * 3600);
    /// assert_eq!(WindowState::at(Some(&window), Some(wrote), later), WindowState::Open { closes_at: wrote.saturating_add(Duration::from_secs(24 * 3600)) });
    /// let too_late = Timestamp::from_unix_seconds(1_000_000 + 25 * 3600);
    /// assert_eq!(WindowState::at(Some(&window), Some(wrote), too_late), WindowState::TemplateRequired);
    /// ```
    pub fn at(
        window: Option<&unibox_core::channel::MessagingWindow>,
        last_inbound_at: Option<Timestamp>,
        now: Timestamp,
    ) -> WindowState {
        let Some(window) = window else { return WindowState::Unlimited };
        let open_for = window.human_agent.map_or(window.free_form, |longer| longer.max(window.free_form));
        if let Some(closes_at) = last_inbound_at.map(|last| last.saturating_add(open_for))
            && now < closes_at
        {
            return WindowState::Open { closes_at };
        }
        match window.outside {
            OutsideWindow::TemplatesOnly => WindowState::TemplateRequired,
            OutsideWindow::Nothing => WindowState::Closed,
        }
    }
}

/// Builds the rows of a page of conversations (read through the hub before) in four batch
/// reads: the tenant's accounts, the page's contacts, their pictures and the page's newest
/// messages.
pub(crate) async fn inbox_rows(hub: &Hub, actor: &Actor, conversations: &[Conversation]) -> Result<Vec<InboxRow>> {
    if conversations.is_empty() {
        return Ok(Vec::new());
    }
    let accounts: HashMap<_, _> = hub.accounts(actor).await?.into_iter().map(|a| (a.id, a)).collect();
    let contact_ids: Vec<_> = conversations.iter().map(|c| c.contact).collect();
    let contacts: HashMap<_, _> = hub.contacts(actor, &contact_ids).await?.into_iter().map(|c| (c.id, c)).collect();
    let mut pictures = hub.contact_pictures(actor, &contact_ids).await?;
    let latest: HashMap<_, _> =
        hub.latest_messages(actor, conversations).await?.into_iter().map(|m| (m.conversation, m)).collect();
    let now = hub.clock().now();
    Ok(conversations
        .iter()
        .map(|conversation| {
            let account = accounts.get(&conversation.account);
            let window = account
                .and_then(|account| hub.channel(&account.channel))
                .and_then(|channel| channel.capabilities().messaging_window.clone());
            InboxRow {
                id: conversation.id.to_string(),
                status: conversation.status,
                snoozed_until: conversation.snoozed_until,
                assignee: conversation.assignee.as_ref().map(|u| u.to_string()),
                tags: conversation.tags.clone(),
                unread_count: conversation.unread_count,
                last_activity_at: conversation.last_activity_at,
                created_at: conversation.created_at,
                contact: RowContact {
                    id: conversation.contact.to_string(),
                    name: contacts.get(&conversation.contact).and_then(|c| c.display_name.clone()),
                    avatar_url: pictures.remove(&conversation.contact).and_then(avatar_url),
                },
                channel: RowChannel {
                    account: conversation.account.to_string(),
                    channel: account.map(|a| a.channel.to_string()).unwrap_or_default(),
                    kind: account.map(|a| a.kind.to_string()).unwrap_or_default(),
                    name: account.map(|a| a.display_name.clone()).unwrap_or_default(),
                },
                last_message: latest.get(&conversation.id).map(|message| RowMessage {
                    id: message.id.to_string(),
                    direction: message.direction,
                    kind: message.content.kind().as_str().to_string(),
                    text: message.content.searchable_text().map(|t| t.into_owned()),
                    delivery: message.delivery.clone(),
                    sent_at: message.sent_at,
                }),
                window: WindowState::at(window.as_ref(), conversation.last_inbound_at, now),
            }
        })
        .collect())
}

/// A stored picture URL as the page may use it: only `https://` and `http://` URLs (a platform
/// never sends anything else; a `javascript:` or `data:` value would be refused here anyway).
pub(crate) fn avatar_url(url: String) -> Option<String> {
    let lower = url.get(..8).unwrap_or(&url).to_ascii_lowercase();
    let web = lower.starts_with("https://") || lower.starts_with("http://");
    (web && url.len() <= 2048 && !url.chars().any(char::is_control)).then_some(url)
}

#[cfg(test)]
mod tests {
    use super::avatar_url;

    #[test]
    fn only_web_urls_are_given_as_avatars() {
        let line = "https://profile.line-scdn.net/0hAbCd".to_string();
        assert_eq!(avatar_url(line.clone()), Some(line));
        assert_eq!(avatar_url("http://127.0.0.1:8080/a.svg".into()).as_deref(), Some("http://127.0.0.1:8080/a.svg"));
        assert_eq!(avatar_url("javascript:alert(1)".into()), None);
        assert_eq!(avatar_url("data:image/svg+xml,<svg onload=alert(1)>".into()), None);
        assert_eq!(avatar_url("https://x/\u{7}".into()), None);
        assert_eq!(avatar_url("HTTPS://EXAMPLE.COM/A.PNG".into()).as_deref(), Some("HTTPS://EXAMPLE.COM/A.PNG"));
    }
}
