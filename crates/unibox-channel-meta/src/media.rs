//! Media references: a Graph media id resolves to a short-lived URL, which is fetched with
//! the token (WhatsApp); Messenger and Instagram attachment URLs are fetched directly.

use bytes::Bytes;
use secrecy::SecretString;
use serde::Deserialize;
use unibox_core::{Error, ErrorKind, Result};
use url::Url;

use crate::GraphClient;

/// What `GET /{media-id}` answers: a short-lived download URL and the file's facts.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct MediaInfo {
    /// The media id.
    #[serde(default)]
    pub id: String,
    /// Where to download it, with the token, within about five minutes.
    pub url: Url,
    /// The MIME type.
    #[serde(default)]
    pub mime_type: Option<String>,
    /// The SHA-256 of the file, as Meta computed it.
    #[serde(default)]
    pub sha256: Option<String>,
    /// The size in bytes.
    #[serde(default, deserialize_with = "number_or_string")]
    pub file_size: Option<u64>,
}

fn number_or_string<'de, D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Size {
        Number(u64),
        Text(String),
    }
    Ok(match Option::<Size>::deserialize(deserializer)? {
        Some(Size::Number(n)) => Some(n),
        Some(Size::Text(text)) => text.parse().ok(),
        None => None,
    })
}

impl GraphClient {
    /// Resolves a media id to its short-lived URL (`GET /{media-id}`).
    pub async fn media_info(&self, media_id: &str, token: &SecretString) -> Result<MediaInfo> {
        if media_id.is_empty() || !media_id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            return Err(Error::new(ErrorKind::InvalidInput, "a media id is letters, digits, '_' and '-'")
                .with_operation("meta.media"));
        }
        self.get(media_id, &[], Some(token)).await.map_err(|e| e.with_operation("meta.media"))
    }

    /// Downloads a media id's bytes: [`media_info`](Self::media_info), then the URL with the token.
    pub async fn download_media(&self, media_id: &str, token: &SecretString) -> Result<(MediaInfo, Bytes)> {
        let info = self.media_info(media_id, token).await?;
        let bytes = self.download(&info.url, token).await.map_err(|e| e.with_operation("meta.media.download"))?;
        Ok((info, bytes))
    }
}
