//! Sending one unified message as several platform messages: an image and its caption go as
//! two messages on Lazada and TikTok Shop. The first message's id is the receipt; once it went
//! out, a failure of a later part must not make anyone resend the whole message.

use std::future::Future;

use unibox_core::channel::SendReceipt;
use unibox_core::{Error, Result};

/// Sends `parts` in order with `send_one` (which returns the platform's message id) and
/// returns the first part's id. A failure of the first part is returned as is; a failure of a
/// later part keeps its kind but is not retried automatically ([`Retry::Persistent`]), since
/// the first part was delivered.
///
/// [`Retry::Persistent`]: unibox_core::Retry::Persistent
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use unibox_channel_marketplace::outbound::send_in_parts;
/// use unibox_core::{Error, ErrorKind, Retry};
/// let receipt = send_in_parts(vec!["image", "caption"], |part| async move { Ok(format!("id-{part}")) }).await.unwrap();
/// assert_eq!(receipt.platform_message_id, "id-image");
/// let failed = send_in_parts(vec!["image", "caption"], |part| async move {
///     if part == "caption" { Err(Error::new(ErrorKind::RateLimited, "slow down").temporary()) } else { Ok("1".to_owned()) }
/// }).await.unwrap_err();
/// assert_eq!((failed.kind(), failed.retry()), (ErrorKind::RateLimited, Retry::Persistent));
/// # });
/// ```
pub async fn send_in_parts<P, F, Fut>(parts: Vec<P>, mut send_one: F) -> Result<SendReceipt>
where
    F: FnMut(P) -> Fut,
    Fut: Future<Output = Result<String>>,
{
    let mut first: Option<SendReceipt> = None;
    for part in parts {
        match (send_one(part).await, &first) {
            (Ok(id), None) => first = Some(SendReceipt::new(id)),
            (Ok(_), Some(_)) => {}
            (Err(error), None) => return Err(error),
            (Err(error), Some(_)) => {
                return Err(Error::new(
                    error.kind(),
                    format!("the first part of the message was sent, a later one was not: {}", error.message()),
                )
                .persistent());
            }
        }
    }
    first.ok_or_else(|| Error::new(unibox_core::ErrorKind::InvalidInput, "there was nothing to send"))
}
