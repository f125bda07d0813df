//! Downloading what customers send: Telegram keeps files on its servers, named by `file_id`
//! (`MediaSource::PlatformId` of inbound media). `getFile` makes one ready and names its path;
//! the file is then fetched at a URL that contains the bot token, so it is fetched here, through
//! the adapter, and that URL never leaves it (not in errors, logs or `Debug`).

use bytes::Bytes;
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::json;
use unibox_core::{Error, ErrorKind, Result};

use crate::error_map::{self, Call};
use crate::{BotToken, TelegramChannel};

/// The largest file the Bot API lets a bot download: 20 MB (`getFile`'s documented limit).
pub const MAX_DOWNLOAD_BYTES: u64 = 20 * 1024 * 1024;

const OPERATION: &str = "telegram.media.download";

/// A downloaded file.
///
/// ```
/// use unibox_channel_telegram::DownloadedFile;
/// # fn show(file: &DownloadedFile) {
/// println!("{} bytes of {} ({})", file.bytes.len(), file.file_path, file.content_type.as_deref().unwrap_or("?"));
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DownloadedFile {
    /// Telegram's path of the file (`photos/file_12.jpg`): its extension hints at the type.
    pub file_path: String,
    /// The `Content-Type` of the download, if the server sent one.
    pub content_type: Option<String>,
    /// The bytes.
    pub bytes: Bytes,
}

/// `{"ok": true, "result": {"file_id", "file_size"?, "file_path"?}}`.
#[derive(Deserialize)]
struct GotFile {
    ok: bool,
    #[serde(default)]
    result: Option<FileInfo>,
}

#[derive(Deserialize)]
struct FileInfo {
    #[serde(default)]
    file_size: Option<u64>,
    #[serde(default)]
    file_path: Option<String>,
}

impl TelegramChannel {
    /// Downloads a customer's file by its `file_id` (inbound media are
    /// `MediaSource::PlatformId`), with the account's stored bot token (`stored`, from the
    /// token store) or, when `None`, the configured one. A file larger than `max_bytes` (at most
    /// [`MAX_DOWNLOAD_BYTES`], Telegram's limit) is `InvalidInput`, refused before the download
    /// when `getFile` reports its size; an unknown or expired `file_id` is `PlatformRejected`.
    ///
    /// ```no_run
    /// # async fn show(channel: &unibox_channel_telegram::TelegramChannel) -> unibox_core::Result<()> {
    /// use unibox_channel_telegram::MAX_DOWNLOAD_BYTES;
    /// let file = channel.download_file("AgACAgIAAxkBAAIBZ2Zx", None, MAX_DOWNLOAD_BYTES).await?;
    /// println!("{} bytes", file.bytes.len());
    /// # Ok(()) }
    /// ```
    pub async fn download_file(
        &self,
        file_id: &str,
        stored: Option<&SecretString>,
        max_bytes: u64,
    ) -> Result<DownloadedFile> {
        let api = self.api(OPERATION)?;
        if file_id.is_empty() || file_id.len() > 256 {
            return Err(Error::new(ErrorKind::InvalidInput, "a Telegram file_id is 1 to 256 characters")
                .with_operation(OPERATION));
        }
        let stored_token;
        let token: &BotToken = match stored {
            Some(token) => {
                stored_token = self.stored_token(token)?;
                &stored_token
            }
            None => &self.config.bot_token,
        };
        let transport = |e| error_map::from_transport(Call::Query, e).with_operation(OPERATION);
        let response = api.call(token, "getFile", &json!({ "file_id": file_id })).await.map_err(transport)?;
        if !response.status().is_success() {
            return Err(error_map::from_response(&response).with_operation(OPERATION));
        }
        let got: GotFile = serde_json::from_slice(response.body()).map_err(|_| {
            Error::new(ErrorKind::PlatformRejected, "the Bot API answered getFile with an unreadable body")
                .with_operation(OPERATION)
        })?;
        let info = got.result.filter(|_| got.ok).ok_or_else(|| {
            Error::new(ErrorKind::PlatformRejected, "the Bot API answered getFile without a file")
                .with_operation(OPERATION)
        })?;
        let too_large = |size: u64| {
            Error::new(ErrorKind::InvalidInput, format!("the file is {size} bytes, more than the {max_bytes} allowed"))
                .with_operation(OPERATION)
        };
        if let Some(size) = info.file_size.filter(|size| *size > max_bytes) {
            return Err(too_large(size));
        }
        let file_path = info.file_path.ok_or_else(|| {
            Error::new(ErrorKind::PlatformRejected, "the file is not available for download (no file_path)")
                .with_operation(OPERATION)
        })?;
        let response = api.download(token, &file_path).await.map_err(transport)?;
        if !response.status().is_success() {
            let kind =
                if response.status().as_u16() == 404 { ErrorKind::NotFound } else { ErrorKind::PlatformRejected };
            return Err(Error::new(
                kind,
                format!("the file download was answered HTTP {}", response.status().as_u16()),
            )
            .with_operation(OPERATION));
        }
        let size = response.body().len() as u64;
        if size > max_bytes {
            return Err(too_large(size));
        }
        let content_type = crate::api::header(&response, "content-type").map(str::to_owned);
        Ok(DownloadedFile { file_path, content_type, bytes: response.body().clone() })
    }
}
