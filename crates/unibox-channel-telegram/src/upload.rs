//! Sending a file by its bytes: `sendPhoto`, `sendDocument`, `sendVideo`, `sendAudio` or
//! `sendVoice` as `multipart/form-data`, for a file the application holds (a generated invoice,
//! a photo an agent attached) rather than one at a URL Telegram can fetch or a `file_id` it
//! knows. Telegram answers with the file's `file_id`: sending the same file again by that id
//! (`MediaSource::PlatformId`) needs no second upload.

use std::fmt;

use bytes::Bytes;
use secrecy::SecretString;
use serde_json::{Value, json};
use unibox_core::channel::SendReceipt;
use unibox_core::http::MultipartForm;
use unibox_core::{ContactIdentity, Error, ErrorKind, Result};

use crate::error_map::{self, Call};
use crate::inbound::key;
use crate::outbound::{Chat, MAX_CAPTION_LENGTH, check_length};
use crate::send::{read_sent, reply_to_in};
use crate::{BotToken, TelegramChannel};

/// The largest photo a bot uploads: 10 MB (the Bot API's limit for `sendPhoto` uploads).
pub const MAX_PHOTO_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// The largest other file a bot uploads: 50 MB (the Bot API's limit for multipart uploads).
pub const MAX_UPLOAD_BYTES: usize = 50 * 1024 * 1024;

const OPERATION: &str = "telegram.send_upload";

/// What an uploaded file is sent as.
///
/// ```
/// use unibox_channel_telegram::UploadKind;
/// assert_eq!(UploadKind::for_mime_type("image/png"), UploadKind::Photo);
/// assert_eq!(UploadKind::for_mime_type("audio/ogg; codecs=opus"), UploadKind::Voice);
/// assert_eq!(UploadKind::for_mime_type("application/pdf"), UploadKind::Document);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UploadKind {
    /// `sendPhoto`: shown as a picture (Telegram recompresses it).
    Photo,
    /// `sendDocument`: any file, sent as it is.
    Document,
    /// `sendVideo`.
    Video,
    /// `sendAudio`: a music file.
    Audio,
    /// `sendVoice`: a voice note (OGG with Opus).
    Voice,
}

impl UploadKind {
    /// The kind the unified send uses for a MIME type: pictures as photos, videos as videos,
    /// `audio/ogg` as a voice note, other audio as audio, anything else as a document.
    pub fn for_mime_type(mime_type: &str) -> Self {
        let mime_type = mime_type.trim().to_ascii_lowercase();
        if mime_type.starts_with("audio/ogg") {
            UploadKind::Voice
        } else if mime_type.starts_with("audio/") {
            UploadKind::Audio
        } else if mime_type.starts_with("image/") && !mime_type.starts_with("image/gif") {
            UploadKind::Photo
        } else if mime_type.starts_with("video/") {
            UploadKind::Video
        } else {
            UploadKind::Document
        }
    }

    /// The Bot API method.
    fn method(self) -> &'static str {
        match self {
            UploadKind::Photo => "sendPhoto",
            UploadKind::Document => "sendDocument",
            UploadKind::Video => "sendVideo",
            UploadKind::Audio => "sendAudio",
            UploadKind::Voice => "sendVoice",
        }
    }

    /// The form field of the file, which is also the field of the sent message holding it.
    fn field(self) -> &'static str {
        match self {
            UploadKind::Photo => "photo",
            UploadKind::Document => "document",
            UploadKind::Video => "video",
            UploadKind::Audio => "audio",
            UploadKind::Voice => "voice",
        }
    }

    /// The largest upload of this kind.
    pub fn max_bytes(self) -> usize {
        match self {
            UploadKind::Photo => MAX_PHOTO_UPLOAD_BYTES,
            _ => MAX_UPLOAD_BYTES,
        }
    }
}

/// A file to send by its bytes. Its `Debug` shows the size, never the bytes or the caption.
///
/// ```
/// use unibox_channel_telegram::{Upload, UploadKind};
/// let upload = Upload::new(UploadKind::Document, "invoice-TH-20931.pdf", "application/pdf", b"%PDF-1.7 ...".to_vec())
///     .with_caption("Your invoice");
/// assert!(format!("{upload:?}").contains("12 bytes"));
/// ```
#[derive(Clone)]
pub struct Upload {
    kind: UploadKind,
    file_name: String,
    content_type: String,
    bytes: Bytes,
    caption: Option<String>,
}

impl Upload {
    /// `bytes` sent as `kind`, named `file_name`, of MIME type `content_type`.
    pub fn new(
        kind: UploadKind,
        file_name: impl Into<String>,
        content_type: impl Into<String>,
        bytes: impl Into<Bytes>,
    ) -> Self {
        Upload {
            kind,
            file_name: file_name.into(),
            content_type: content_type.into(),
            bytes: bytes.into(),
            caption: None,
        }
    }

    /// With a caption (at most 1,024 UTF-16 code units).
    pub fn with_caption(mut self, caption: impl Into<String>) -> Self {
        self.caption = Some(caption.into());
        self
    }

    /// What it is sent as.
    pub fn kind(&self) -> UploadKind {
        self.kind
    }
}

impl fmt::Debug for Upload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upload")
            .field("kind", &self.kind)
            .field("file_name", &self.file_name)
            .field("content_type", &self.content_type)
            .field("bytes", &format_args!("{} bytes", self.bytes.len()))
            .field("caption", &self.caption.as_ref().map(|c| format!("{} chars", c.chars().count())))
            .finish()
    }
}

/// A sent upload: the receipt, and the `file_id` Telegram gave the file (for a photo, that of
/// its largest size), to send it again without uploading.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadReceipt {
    /// The message sent.
    pub receipt: SendReceipt,
    /// The file's `file_id`, when the answer names it.
    pub file_id: Option<String>,
}

fn invalid(message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::InvalidInput, message).with_operation(OPERATION)
}

impl TelegramChannel {
    /// Sends a file by its bytes to a chat the channel produced (`to`), as `multipart/form-data`,
    /// with the account's stored bot token (`stored`, from the token store) or, when `None`, the
    /// configured one; `reply_to` names a message of the same chat. An empty file, one over the
    /// kind's limit ([`UploadKind::max_bytes`]) or a caption over 1,024 UTF-16 code units is
    /// `InvalidInput` before any call; errors are mapped like
    /// [`Channel::send`](unibox_core::Channel::send)'s (a user who blocked the bot is
    /// `RecipientUnavailable`, flood control `RateLimited` with Telegram's `retry_after`).
    ///
    /// ```no_run
    /// # async fn show(channel: &unibox_channel_telegram::TelegramChannel, to: &unibox_core::ContactIdentity, pdf: Vec<u8>) -> unibox_core::Result<()> {
    /// use unibox_channel_telegram::{Upload, UploadKind};
    /// let upload = Upload::new(UploadKind::Document, "invoice.pdf", "application/pdf", pdf).with_caption("Your invoice");
    /// let sent = channel.send_upload(to, &upload, None, None).await?;
    /// println!("sent as {}, file_id {:?}", sent.receipt.platform_message_id, sent.file_id);
    /// # Ok(()) }
    /// ```
    pub async fn send_upload(
        &self,
        to: &ContactIdentity,
        upload: &Upload,
        stored: Option<&SecretString>,
        reply_to: Option<&str>,
    ) -> Result<UploadReceipt> {
        let api = self.api(OPERATION)?;
        let (kind, size) = (upload.kind, upload.bytes.len());
        if size == 0 {
            return Err(invalid("an uploaded file cannot be empty"));
        }
        if size > kind.max_bytes() {
            return Err(invalid(format!(
                "Telegram takes uploads of {} bytes at most for {}; this file has {size}",
                kind.max_bytes(),
                kind.method()
            )));
        }
        let caption = upload.caption.as_deref().filter(|c| !c.is_empty());
        if let Some(caption) = caption {
            check_length("a caption", caption, MAX_CAPTION_LENGTH).map_err(|e| e.with_operation(OPERATION))?;
        }
        let stored_token;
        let token: &BotToken = match stored {
            Some(token) => {
                stored_token = self.stored_token(token)?;
                &stored_token
            }
            None => &self.config.bot_token,
        };
        let chat = Chat::of(to).map_err(|e| e.with_operation(OPERATION))?;

        let mut form = MultipartForm::new().text("chat_id", chat.chat_id.to_string());
        if let Some(connection) = &chat.business_connection_id {
            form = form.text("business_connection_id", connection.as_str());
        }
        if let Some(caption) = caption {
            form = form.text("caption", caption);
        }
        if let Some(message_id) = reply_to_in(to, reply_to) {
            let reply = json!({"message_id": message_id, "allow_sending_without_reply": true});
            form = form.text("reply_parameters", reply.to_string());
        }
        let file_name = Some(upload.file_name.trim()).filter(|n| !n.is_empty()).unwrap_or(kind.field());
        let content_type =
            Some(upload.content_type.trim()).filter(|t| !t.is_empty()).unwrap_or("application/octet-stream");
        form = form.file(kind.field(), file_name, content_type, upload.bytes.clone());

        let method = kind.method();
        let response = api.call_multipart(token, method, &form).await.map_err(|e| {
            error_map::from_transport(Call::Send, e).with_context("method", method).with_operation(OPERATION)
        })?;
        let (message_id, message) = read_sent(&response, method).map_err(|e| e.with_operation(OPERATION))?;
        Ok(UploadReceipt {
            receipt: SendReceipt::new(key(&to.value, message_id)),
            file_id: file_id_of(&message, kind.field()),
        })
    }
}

/// The `file_id` of the sent message's file: a photo is a list of sizes, the largest last.
fn file_id_of(message: &Value, field: &str) -> Option<String> {
    let file = match &message[field] {
        Value::Array(sizes) => sizes
            .iter()
            .max_by_key(|size| size["width"].as_u64().unwrap_or(0) * size["height"].as_u64().unwrap_or(0))?,
        file => file,
    };
    file["file_id"].as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_largest_photo_size_names_the_file() {
        let message = json!({"message_id": 1, "photo": [
            {"file_id": "small", "width": 90, "height": 60},
            {"file_id": "large", "width": 1280, "height": 853},
            {"file_id": "medium", "width": 320, "height": 213}
        ]});
        assert_eq!(file_id_of(&message, "photo").as_deref(), Some("large"));
        let document = json!({"message_id": 2, "document": {"file_id": "BQACAgIA", "file_name": "a.pdf"}});
        assert_eq!(file_id_of(&document, "document").as_deref(), Some("BQACAgIA"));
        assert_eq!(file_id_of(&document, "video"), None);
    }
}
