//! Downloading what customers send: MMS and WhatsApp media stay on Twilio at the `MediaUrl{n}`
//! of the webhook, which needs the account's credentials when the account requires
//! authentication for media (recommended).

use bytes::Bytes;
use secrecy::SecretString;
use unibox_core::{Error, ErrorKind, Result};
use url::Url;

use crate::error_map::{self, Call};
use crate::{TwilioChannel, TwilioCredentials};

/// The largest medium [`TwilioChannel::download_media`] accepts by default: 20 MB.
pub const DEFAULT_MAX_MEDIA_BYTES: u64 = 20 * 1024 * 1024;

const OPERATION: &str = "twilio.media.download";

/// A downloaded medium.
///
/// ```
/// use unibox_channel_twilio::DownloadedMedia;
/// # fn show(media: &DownloadedMedia) {
/// println!("{} bytes of {}", media.bytes.len(), media.content_type.as_deref().unwrap_or("?"));
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DownloadedMedia {
    /// The `Content-Type` Twilio (or its media store) reports.
    pub content_type: Option<String>,
    /// The bytes.
    pub bytes: Bytes,
}

fn invalid(message: &'static str) -> Error {
    Error::new(ErrorKind::InvalidInput, message).with_operation(OPERATION)
}

impl TwilioChannel {
    /// Downloads a customer's medium from its `MediaUrl`, with the account's credentials as
    /// they are stored (`stored`, see [`TwilioCredentials::from_stored`]) in the
    /// `Authorization` header, never in the URL.
    ///
    /// The credentials go only to the configured API host: a URL elsewhere, or outside this
    /// account's `/2010-04-01/Accounts/{AccountSid}/` path, is `InvalidInput` before any call.
    /// Twilio answers with a redirect to its media store; the redirect is followed once,
    /// without the credentials. A medium Twilio no longer keeps is `NotFound`; one larger than
    /// `max_bytes` is `InvalidInput` (give the `HttpClient` a body limit to bound memory as
    /// well).
    pub async fn download_media(
        &self,
        media_url: &Url,
        stored: &SecretString,
        max_bytes: u64,
    ) -> Result<DownloadedMedia> {
        let api = self.api(OPERATION)?;
        let account_sid = self.account_sid(OPERATION)?;
        let base = api.base();
        let same_origin = media_url.scheme() == base.scheme()
            && media_url.host_str() == base.host_str()
            && media_url.port_or_known_default() == base.port_or_known_default();
        if !same_origin {
            return Err(invalid(
                "Twilio credentials are only sent to the Twilio API host: this media URL is elsewhere",
            ));
        }
        let account_path = format!("/2010-04-01/Accounts/{account_sid}/");
        if !media_url.path().starts_with(&account_path) || !media_url.username().is_empty() {
            return Err(invalid("the media URL is not one of this Twilio account's media"));
        }
        let credentials = TwilioCredentials::from_stored(stored).map_err(|e| e.with_operation(OPERATION))?;
        let authorization = credentials.basic_authorization(account_sid);
        let transport = |e| error_map::from_transport(Call::Media, e).with_operation(OPERATION);
        let mut response = api.get(media_url, Some(&authorization)).await.map_err(transport)?;
        if response.status().is_redirection() {
            let location = response
                .headers()
                .get(http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|location| media_url.join(location).ok())
                .filter(|target| matches!(target.scheme(), "https" | "http"))
                .ok_or_else(|| {
                    Error::new(ErrorKind::PlatformRejected, "Twilio redirected the media download nowhere usable")
                        .with_operation(OPERATION)
                })?;
            response = api.get(&location, None).await.map_err(transport)?;
        }
        if !response.status().is_success() {
            return Err(error_map::from_response(Call::Media, &response).with_operation(OPERATION));
        }
        let size = response.body().len() as u64;
        if size > max_bytes {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                format!("the medium is {size} bytes, more than the {max_bytes} allowed"),
            )
            .with_operation(OPERATION));
        }
        Ok(DownloadedMedia {
            content_type: response
                .headers()
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            bytes: response.body().clone(),
        })
    }
}
