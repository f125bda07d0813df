//! The Send API shared by Messenger and Instagram: message bodies, sender actions, uploads.

use bytes::Bytes;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use unibox_core::channel::{SendReceipt, SendRequest};
use unibox_core::{
    ButtonAction, ChannelAccount, ChannelKind, Content, ContentKind, ContentKinds, Error, ErrorKind, Media,
    MediaSource, Result,
};

use super::MessagingPlatform;
use super::channel::{HUMAN_AGENT_WINDOW, STANDARD_WINDOW};
use crate::catalog::{MetaCatalogs, meta_product_id};
use crate::{GraphClient, MultipartForm};

/// The most quick replies one message may carry.
pub const MAX_QUICK_REPLIES: usize = 13;
/// The most buttons a button template may carry.
pub const MAX_BUTTONS: usize = 3;

/// A typing indicator or read receipt, sent as a separate request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SenderAction {
    /// Marks the customer's messages as seen (mark-as-read).
    MarkSeen,
    /// Shows the typing indicator.
    TypingOn,
    /// Hides the typing indicator.
    TypingOff,
}

impl SenderAction {
    fn as_str(self) -> &'static str {
        match self {
            SenderAction::MarkSeen => "mark_seen",
            SenderAction::TypingOn => "typing_on",
            SenderAction::TypingOff => "typing_off",
        }
    }
}

#[derive(Deserialize)]
struct SendAnswer {
    #[serde(default)]
    message_id: Option<String>,
}

#[derive(Deserialize)]
struct UploadAnswer {
    attachment_id: String,
}

/// Sends through the Send API (`POST /{page-or-ig-id}/messages`) for one platform.
///
/// `messaging_type` is `RESPONSE` inside the 24-hour window (measured by
/// [`SendRequest::since_customer_message`], which the hub fills from the conversation's last
/// inbound time and its clock). After it, a human agent's message is `MESSAGE_TAG` with the
/// `HUMAN_AGENT` tag for up to 7 days, only when the tag is enabled (off by default: the app
/// needs Meta's Human Agent permission). Anything else is refused with
/// [`ErrorKind::MessagingWindowClosed`] before any call.
///
/// ```
/// use std::sync::Arc;
/// use unibox_channel_meta::messaging::{MessagingPlatform, MessagingSender};
/// use unibox_channel_meta::GraphClient;
/// use unibox_core::channel::SendRequest;
/// use unibox_core::{ChannelAccount, ChannelKind, ContactIdentity, Content, IdentityKind, MessageId, Timestamp};
/// let graph = GraphClient::new(Arc::new(unibox_core::http::ReqwestClient::new()));
/// let sender = MessagingSender::new(graph, MessagingPlatform::messenger());
/// let account = ChannelAccount::new("acme".parse().unwrap(), "acme-fb".parse().unwrap(), ChannelKind::MESSENGER,
///     "104738291837465", Timestamp::from_unix_seconds(0));
/// let recipient = ContactIdentity { account: account.id, kind: IdentityKind::PageScopedId, value: "6201234567890123".into() };
/// let content = Content::text("Your order shipped");
/// let minutes_after = SendRequest::new(&account, &recipient, &content, MessageId::new())
///     .with_human_agent(true)
///     .with_since_customer_message(Some(std::time::Duration::from_secs(120)));
/// let bodies = sender.message_bodies(&minutes_after).unwrap();
/// assert_eq!(bodies[0]["messaging_type"], "RESPONSE");
/// assert_eq!(bodies[0]["message"]["text"], "Your order shipped");
///
/// let days_after = minutes_after.with_since_customer_message(Some(std::time::Duration::from_secs(3 * 86_400)));
/// let tagging = sender.clone().with_human_agent_tag(true);
/// assert_eq!(tagging.message_bodies(&days_after).unwrap()[0]["tag"], "HUMAN_AGENT");
/// assert!(sender.message_bodies(&days_after).is_err(), "untagged: the window is closed");
/// ```
#[derive(Clone, Debug)]
pub struct MessagingSender {
    graph: GraphClient,
    platform: MessagingPlatform,
    human_agent_tag: bool,
    catalogs: MetaCatalogs,
}

impl MessagingSender {
    /// A sender for `platform` through `graph`, without the human-agent tag.
    pub fn new(graph: GraphClient, platform: MessagingPlatform) -> Self {
        MessagingSender { graph, platform, human_agent_tag: false, catalogs: MetaCatalogs::new() }
    }

    /// The Meta catalog each account (page or Instagram account, by platform id) sells from:
    /// a `Content::Product` to a customer of such an account goes out as the product template,
    /// and is `Unsupported` from an account without one.
    pub fn with_catalogs(mut self, catalogs: MetaCatalogs) -> Self {
        self.catalogs = catalogs;
        self
    }

    /// Whether human agents' messages after the 24-hour window carry the `HUMAN_AGENT` tag
    /// (default `false`: only apps Meta granted the Human Agent permission may use it).
    pub fn with_human_agent_tag(mut self, enabled: bool) -> Self {
        self.human_agent_tag = enabled;
        self
    }

    /// Whether human agents' messages after the 24-hour window carry the `HUMAN_AGENT` tag.
    pub fn human_agent_tag(&self) -> bool {
        self.human_agent_tag
    }

    /// The Graph client.
    pub fn graph(&self) -> &GraphClient {
        &self.graph
    }

    /// The content kinds [`message_bodies`](Self::message_bodies) can express: those of
    /// [`sendable`](Self::sendable), and `Product` when a catalog is configured.
    pub fn sendable_kinds(&self) -> ContentKinds {
        let kinds = ContentKinds::of(self.sendable());
        if self.catalogs.is_empty() { kinds } else { kinds.with(ContentKind::Product) }
    }

    /// The content kinds [`message_bodies`](Self::message_bodies) can express without a catalog.
    pub fn sendable(&self) -> &'static [ContentKind] {
        if self.platform.buttons_as_generic_template {
            &[
                ContentKind::Text,
                ContentKind::Image,
                ContentKind::Video,
                ContentKind::Audio,
                ContentKind::Buttons,
                ContentKind::QuickReplies,
                ContentKind::Reaction,
            ]
        } else {
            &[
                ContentKind::Text,
                ContentKind::Image,
                ContentKind::Video,
                ContentKind::Audio,
                ContentKind::File,
                ContentKind::Buttons,
                ContentKind::QuickReplies,
                ContentKind::Reaction,
            ]
        }
    }

    fn operation(&self) -> &'static str {
        if self.platform.channel == ChannelKind::INSTAGRAM { "instagram.send" } else { "messenger.send" }
    }

    fn invalid(&self, message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
        Error::new(ErrorKind::InvalidInput, message).with_operation(self.operation())
    }

    /// The Send API bodies for a request, in order: one, or two when media has a caption
    /// (the platform has no captions, so it follows as a text message).
    ///
    /// A `Content::Product` becomes the product template (`attachment: {type: "template",
    /// payload: {template_type: "product", elements: [{id}]}}`) with its `product_id` as the
    /// element's id, which the platform reads as Meta's product id;
    /// [`send`](Self::send) first looks that id up from the retailer id unibox's catalog keeps.
    /// From an account without a configured catalog it is `Unsupported`.
    pub fn message_bodies(&self, request: &SendRequest<'_>) -> Result<Vec<Value>> {
        self.bodies_of(request, request.content)
    }

    fn bodies_of(&self, request: &SendRequest<'_>, content: &Content) -> Result<Vec<Value>> {
        let recipient = json!({ "id": request.recipient.value });
        if let Content::Product { product_id, .. } = content {
            self.catalog_of(request.account)?;
            if product_id.trim().is_empty() {
                return Err(self.invalid("a product message needs the product's id"));
            }
        }
        if let Content::Reaction { target_message_id, emoji } = content {
            let action = if emoji.is_empty() { "unreact" } else { "react" };
            // The platforms accept one reaction, the heart ("love"), whatever emoji was chosen.
            return Ok(vec![json!({
                "recipient": recipient,
                "sender_action": action,
                "payload": { "message_id": target_message_id, "reaction": "love" },
            })]);
        }
        let tagged = self.tagged(request)?;
        let mut messages = vec![self.message(content)?];
        if let Content::Image(Media { caption: Some(caption), .. })
        | Content::Video(Media { caption: Some(caption), .. })
        | Content::Audio(Media { caption: Some(caption), .. })
        | Content::File(Media { caption: Some(caption), .. }) = content
            && !caption.is_empty()
        {
            messages.push(json!({ "text": caption }));
        }
        Ok(messages
            .into_iter()
            .enumerate()
            .map(|(index, message)| {
                let mut body = Map::new();
                body.insert("recipient".into(), recipient.clone());
                if tagged {
                    body.insert("messaging_type".into(), json!("MESSAGE_TAG"));
                    body.insert("tag".into(), json!("HUMAN_AGENT"));
                } else {
                    body.insert("messaging_type".into(), json!("RESPONSE"));
                }
                body.insert("message".into(), message);
                if let (0, Some(reply_to)) = (index, request.reply_to) {
                    body.insert("reply_to".into(), json!({ "mid": reply_to }));
                }
                Value::Object(body)
            })
            .collect())
    }

    /// Whether the message must carry the `HUMAN_AGENT` tag: only after the 24-hour window, for
    /// a human agent, when the tag is enabled. A closed window is refused here, before any call.
    fn tagged(&self, request: &SendRequest<'_>) -> Result<bool> {
        let since = request.since_customer_message;
        if since.is_some_and(|since| since < STANDARD_WINDOW) {
            return Ok(false);
        }
        let human_agent_allowed = request.human_agent && self.human_agent_tag;
        if human_agent_allowed && since.is_some_and(|since| since < HUMAN_AGENT_WINDOW) {
            return Ok(true);
        }
        let last = match since {
            Some(since) => format!("the customer last wrote {} hours ago", since.as_secs() / 3600),
            None => "the customer has not written".to_string(),
        };
        let instead = if human_agent_allowed || !request.human_agent {
            "wait until the customer writes again"
        } else {
            "wait until the customer writes again, or enable the human-agent tag (it needs Meta's Human Agent permission) for 7 days of human replies"
        };
        let hours = if human_agent_allowed { HUMAN_AGENT_WINDOW } else { STANDARD_WINDOW }.as_secs() / 3600;
        Err(Error::new(
            ErrorKind::MessagingWindowClosed,
            format!("the {hours}-hour messaging window is closed ({last}); {instead}"),
        )
        .with_operation(self.operation()))
    }

    /// The catalog the account sells from, or `Unsupported`.
    fn catalog_of(&self, account: &ChannelAccount) -> Result<&str> {
        self.catalogs.of(&account.platform_account_id).ok_or_else(|| {
            Error::new(
                ErrorKind::Unsupported,
                format!(
                    "the {} product template names a product of the account's Meta catalog: configure the catalog (MetaCatalogs) for this account",
                    self.platform.channel
                ),
            )
            .with_operation(self.operation())
            .with_context("account", account.id)
        })
    }

    fn message(&self, content: &Content) -> Result<Value> {
        Ok(match content {
            Content::Text { text } => json!({ "text": text }),
            Content::Product { product_id, .. } => json!({
                "attachment": {
                    "type": "template",
                    "payload": { "template_type": "product", "elements": [{ "id": product_id }] },
                }
            }),
            Content::Image(media) => self.attachment("image", media)?,
            Content::Video(media) => self.attachment("video", media)?,
            Content::Audio(media) => self.attachment("audio", media)?,
            Content::File(media) if !self.platform.buttons_as_generic_template => self.attachment("file", media)?,
            Content::QuickReplies { text, replies } => {
                if replies.is_empty() || replies.len() > MAX_QUICK_REPLIES {
                    return Err(self.invalid(format!("a message carries 1 to {MAX_QUICK_REPLIES} quick replies")));
                }
                let replies: Vec<Value> = replies
                    .iter()
                    .map(|r| json!({ "content_type": "text", "title": r.title, "payload": r.payload }))
                    .collect();
                json!({ "text": text, "quick_replies": replies })
            }
            Content::Buttons { text, buttons } => {
                if buttons.is_empty() || buttons.len() > MAX_BUTTONS {
                    return Err(self.invalid(format!("a button message carries 1 to {MAX_BUTTONS} buttons")));
                }
                let buttons: Vec<Value> = buttons
                    .iter()
                    .map(|button| match &button.action {
                        ButtonAction::Postback { payload } => {
                            json!({ "type": "postback", "title": button.title, "payload": payload })
                        }
                        ButtonAction::Url { url } => json!({ "type": "web_url", "title": button.title, "url": url }),
                        ButtonAction::Call { phone } => {
                            json!({ "type": "phone_number", "title": button.title, "payload": phone })
                        }
                    })
                    .collect();
                let payload = if self.platform.buttons_as_generic_template {
                    json!({ "template_type": "generic", "elements": [{ "title": text, "buttons": buttons }] })
                } else {
                    json!({ "template_type": "button", "text": text, "buttons": buttons })
                };
                json!({ "attachment": { "type": "template", "payload": payload } })
            }
            other => {
                return Err(Error::new(
                    ErrorKind::Unsupported,
                    format!("the {} channel cannot send {} content", self.platform.channel, other.kind().as_str()),
                )
                .with_operation(self.operation()));
            }
        })
    }

    fn attachment(&self, kind: &str, media: &Media) -> Result<Value> {
        let payload = match &media.source {
            MediaSource::Url { url } if self.platform.reusable_attachments => {
                json!({ "url": url, "is_reusable": true })
            }
            MediaSource::Url { url } => json!({ "url": url }),
            MediaSource::PlatformId { id } if self.platform.reusable_attachments => json!({ "attachment_id": id }),
            MediaSource::PlatformId { .. } => {
                return Err(self.invalid("Instagram sends media by URL only, not by an uploaded attachment id"));
            }
        };
        Ok(json!({ "attachment": { "type": kind, "payload": payload } }))
    }

    fn token<'a>(&self, token: Option<&'a SecretString>, account: &ChannelAccount) -> Result<&'a SecretString> {
        token.ok_or_else(|| {
            Error::new(
                ErrorKind::TokenInvalid,
                format!("no access token is stored for the {} account {}: connect it again", account.kind, account.id),
            )
            .with_operation(self.operation())
        })
    }

    /// Sends one message; the receipt carries the platform's `message_id`. A reaction's
    /// receipt is `reaction:<target id>` (the platform gives it no id of its own).
    pub async fn send(&self, request: &SendRequest<'_>) -> Result<SendReceipt> {
        let token = self.token(request.access_token, request.account)?;
        let bodies = match request.content {
            Content::Product { product_id, name, url } => {
                // Refused before any call when there is no catalog or no id.
                self.message_bodies(request)?;
                let catalog = self.catalog_of(request.account)?;
                let meta_id = meta_product_id(&self.graph, catalog, product_id, token)
                    .await
                    .map_err(|e| e.with_operation(self.operation()).with_context("account", request.account.id))?;
                let resolved = Content::Product { product_id: meta_id, name: name.clone(), url: url.clone() };
                self.bodies_of(request, &resolved)?
            }
            _ => self.message_bodies(request)?,
        };
        let path = format!("{}/messages", request.account.platform_account_id);
        let mut first_id = None;
        for body in &bodies {
            let answer: SendAnswer = self
                .graph
                .post_json(&path, token, body)
                .await
                .map_err(|e| e.with_operation(self.operation()).with_context("account", request.account.id))?;
            if first_id.is_none() {
                first_id = Some(answer.message_id);
            }
        }
        let platform_id = match (request.content, first_id.flatten()) {
            (_, Some(id)) if !id.is_empty() => id,
            (Content::Reaction { target_message_id, .. }, _) => format!("reaction:{target_message_id}"),
            _ => {
                return Err(Error::new(
                    ErrorKind::DeliveryUnknown,
                    "the Send API accepted the message without returning its message_id",
                )
                .with_operation(self.operation()));
            }
        };
        Ok(SendReceipt::new(platform_id))
    }

    /// Sends a typing indicator or marks the customer's messages as seen.
    pub async fn sender_action(
        &self,
        account: &ChannelAccount,
        recipient_id: &str,
        action: SenderAction,
        token: Option<&SecretString>,
    ) -> Result<()> {
        let token = self.token(token, account)?;
        let body = json!({ "recipient": { "id": recipient_id }, "sender_action": action.as_str() });
        let path = format!("{}/messages", account.platform_account_id);
        let _: Value =
            self.graph.post_json(&path, token, &body).await.map_err(|e| e.with_operation(self.operation()))?;
        Ok(())
    }

    /// Uploads a file as a reusable attachment (`POST /{page-id}/message_attachments`) and
    /// returns its `attachment_id`, to send as [`MediaSource::PlatformId`]. Messenger only.
    pub async fn upload_attachment(
        &self,
        account: &ChannelAccount,
        token: Option<&SecretString>,
        kind: ContentKind,
        file_name: &str,
        mime_type: &str,
        bytes: impl Into<Bytes>,
    ) -> Result<String> {
        if !self.platform.reusable_attachments {
            return Err(Error::new(
                ErrorKind::Unsupported,
                "this platform has no attachment upload; send media by URL",
            )
            .with_operation(self.operation()));
        }
        let kind = match kind {
            ContentKind::Image => "image",
            ContentKind::Video => "video",
            ContentKind::Audio => "audio",
            ContentKind::File => "file",
            other => return Err(self.invalid(format!("{} is not an attachment kind", other.as_str()))),
        };
        let token = self.token(token, account)?;
        let message = json!({ "attachment": { "type": kind, "payload": { "is_reusable": true } } }).to_string();
        let form = MultipartForm::new().text("message", message).file("filedata", file_name, mime_type, bytes);
        let path = format!("{}/message_attachments", account.platform_account_id);
        let answer: UploadAnswer =
            self.graph.post_multipart(&path, token, &form).await.map_err(|e| e.with_operation(self.operation()))?;
        Ok(answer.attachment_id)
    }
}
