//! Downloading what users send: LINE keeps the images, videos, audio and files of messages on
//! its content host by message id (an inbound `MediaSource::PlatformId`), for a limited time.

use bytes::Bytes;
use secrecy::SecretString;
use unibox_core::{Error, ErrorKind, Result};

use crate::LineChannel;
use crate::api::header;
use crate::error_map::{self, Call};

/// The largest content [`LineChannel::download_content`] accepts by default: 300 MB.
pub const DEFAULT_MAX_CONTENT_BYTES: u64 = 300 * 1024 * 1024;

/// Downloaded message content.
///
/// ```
/// use unibox_channel_line::DownloadedContent;
/// # fn show(content: &DownloadedContent) {
/// println!("{} bytes of {}", content.bytes.len(), content.content_type.as_deref().unwrap_or("?"));
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DownloadedContent {
    /// The message id it was downloaded by.
    pub message_id: String,
    /// The `Content-Type` LINE reports (`image/jpeg`, `video/mp4`, `audio/m4a`, ...).
    pub content_type: Option<String>,
    /// The bytes.
    pub bytes: Bytes,
}

impl LineChannel {
    /// Downloads the content of a user's image, video, audio or file message:
    /// `GET api-data.line.me/v2/bot/message/{message_id}/content`, with the channel access token
    /// as a Bearer header (never in the URL).
    ///
    /// The message id is digits only (anything else is `InvalidInput`, before any call). LINE
    /// answers `202` while it is still preparing a video or audio: that is a temporary
    /// `PlatformUnavailable`, ask again shortly. Content LINE no longer keeps is `NotFound`.
    /// Content larger than `max_bytes` is `InvalidInput`; the `HttpClient` reads a body whole,
    /// so give it a body limit to bound memory as well.
    pub async fn download_content(
        &self,
        message_id: &str,
        access_token: &SecretString,
        max_bytes: u64,
    ) -> Result<DownloadedContent> {
        const OPERATION: &str = "line.content.download";
        if message_id.is_empty() || !message_id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(
                Error::new(ErrorKind::InvalidInput, "a LINE message id is digits only").with_operation(OPERATION)
            );
        }
        let api = self.data_api.as_ref().ok_or_else(|| {
            Error::new(ErrorKind::Configuration, "the LINE channel has no HttpClient: call with_http_client")
                .with_operation(OPERATION)
        })?;
        let response = api
            .get(&format!("v2/bot/message/{message_id}/content"), access_token)
            .await
            .map_err(|e| error_map::from_transport(Call::Content, e).with_operation(OPERATION))?;
        let status = response.status().as_u16();
        if status == 202 {
            return Err(Error::new(
                ErrorKind::PlatformUnavailable,
                "LINE is still preparing this content (video or audio): ask again shortly",
            )
            .with_retry_after(std::time::Duration::from_secs(5))
            .with_operation(OPERATION));
        }
        if !response.status().is_success() {
            return Err(error_map::from_response(Call::Content, &response).with_operation(OPERATION));
        }
        let size = response.body().len() as u64;
        if size > max_bytes {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("the content is {size} bytes, more than the {max_bytes} allowed"),
            )
            .with_operation(OPERATION));
        }
        Ok(DownloadedContent {
            message_id: message_id.to_owned(),
            content_type: header(&response, "content-type").map(str::to_owned),
            bytes: response.body().clone(),
        })
    }
}
