//! Media: downloading what customers send (a media id → a short-lived URL → the bytes) and
//! uploading files to send by id.

use bytes::Bytes;
use secrecy::SecretString;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use unibox_channel_meta::MultipartForm;
use unibox_core::{ChannelAccount, Error, ErrorKind, Result};

use crate::WhatsAppChannel;
use crate::channel::phone_number_id;

/// A downloaded media file.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DownloadedMedia {
    /// The media id it was downloaded by.
    pub media_id: String,
    /// The MIME type WhatsApp reports.
    pub mime_type: Option<String>,
    /// The file's bytes, checked against WhatsApp's SHA-256 when it gives one.
    pub bytes: Bytes,
}

/// `{"id": "<media id>"}`.
#[derive(Deserialize)]
struct Uploaded {
    #[serde(default)]
    id: String,
}

/// The digest WhatsApp names, decoded: 64 hex digits, or base64 as its webhooks write media
/// hashes. `None` for any other form, which is then not checked.
fn named_digest(text: &str) -> Option<[u8; 32]> {
    use base64::Engine as _;
    let text = text.trim();
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        let mut digest = [0u8; 32];
        for (i, pair) in text.as_bytes().chunks_exact(2).enumerate() {
            digest[i] = u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok()?;
        }
        return Some(digest);
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(text).ok()?;
    decoded.try_into().ok()
}

impl WhatsAppChannel {
    /// Downloads the media a customer sent: an inbound `MediaSource::PlatformId` (or a
    /// sticker id) with the receiving number's access token.
    ///
    /// Two calls, both with the token as a Bearer header (never in a URL): `GET /{media-id}`
    /// answers a URL valid for about five minutes, and a GET of that URL answers the bytes.
    /// A file larger than [`max_media_bytes`](crate::WhatsAppConfig::max_media_bytes) is
    /// refused before it is fetched (`InvalidInput`), and the bytes must match the SHA-256
    /// WhatsApp names, in hex or base64 (`PlatformRejected` otherwise). Download soon after the message arrives:
    /// WhatsApp keeps media for 30 days.
    pub async fn download_media(&self, media_id: &str, access_token: &SecretString) -> Result<DownloadedMedia> {
        const OPERATION: &str = "whatsapp.media.download";
        let graph = self.graph(OPERATION)?;
        let info =
            graph.media_info(media_id, access_token).await.map_err(|e| crate::error_map::refine(e, OPERATION))?;
        let limit = self.config.max_media_bytes;
        if info.file_size.is_some_and(|size| size > limit) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("the media file is larger than the configured limit of {limit} bytes"),
            )
            .with_operation(OPERATION)
            .with_context("media_id", media_id));
        }
        let bytes = graph.download(&info.url, access_token).await.map_err(|e| e.with_operation(OPERATION))?;
        if bytes.len() as u64 > limit {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("the media file is larger than the configured limit of {limit} bytes"),
            )
            .with_operation(OPERATION)
            .with_context("media_id", media_id));
        }
        let expected = info.sha256.as_deref().filter(|s| !s.is_empty());
        let digest = expected.and_then(named_digest);
        if expected.is_some() && digest.is_none() {
            tracing::debug!(target: "unibox::whatsapp", media_id, "the media SHA-256 is in an unknown form: not checked");
        }
        if let Some(digest) = digest
            && digest[..] != Sha256::digest(&bytes)[..]
        {
            return Err(Error::new(
                ErrorKind::PlatformRejected,
                "the downloaded media does not match the SHA-256 WhatsApp named: it was corrupted or replaced",
            )
            .with_operation(OPERATION)
            .with_context("media_id", media_id));
        }
        Ok(DownloadedMedia { media_id: media_id.to_owned(), mime_type: info.mime_type, bytes })
    }

    /// Uploads a file for `account` (`POST /{phone_number_id}/media`, multipart) and returns
    /// its media id, to send as `MediaSource::PlatformId` (uploaded media stays for 30 days).
    ///
    /// ```no_run
    /// # async fn upload(channel: &unibox_channel_whatsapp::WhatsAppChannel, account: &unibox_core::ChannelAccount,
    /// #     token: &unibox_core::secrecy::SecretString) -> unibox_core::Result<()> {
    /// use unibox_core::{Content, Media, MediaSource};
    /// let pdf = std::fs::read("INV-2024-0042.pdf").unwrap();
    /// let id = channel.upload_media(account, token, pdf.into(), "application/pdf", "INV-2024-0042.pdf").await?;
    /// let content = Content::File(Media {
    ///     source: MediaSource::PlatformId { id },
    ///     mime_type: Some("application/pdf".into()),
    ///     caption: Some("Your invoice".into()),
    ///     file_name: Some("INV-2024-0042.pdf".into()),
    /// });
    /// # let _ = content; Ok(()) }
    /// ```
    pub async fn upload_media(
        &self,
        account: &ChannelAccount,
        access_token: &SecretString,
        bytes: Bytes,
        mime_type: &str,
        file_name: &str,
    ) -> Result<String> {
        const OPERATION: &str = "whatsapp.media.upload";
        let graph = self.graph(OPERATION)?;
        let phone_number_id = phone_number_id(account, OPERATION)?;
        if bytes.is_empty() || mime_type.is_empty() {
            return Err(Error::new(ErrorKind::InvalidInput, "an upload needs the file's bytes and MIME type")
                .with_operation(OPERATION));
        }
        let form = MultipartForm::new()
            .text("messaging_product", "whatsapp")
            .text("type", mime_type)
            .file("file", file_name, mime_type, bytes);
        let uploaded: Uploaded = graph
            .post_multipart(&format!("{phone_number_id}/media"), access_token, &form)
            .await
            .map_err(|e| crate::error_map::refine(e, OPERATION))?;
        if uploaded.id.is_empty() {
            return Err(Error::new(ErrorKind::Unexpected, "WhatsApp answered the upload without a media id")
                .with_operation(OPERATION));
        }
        Ok(uploaded.id)
    }
}
