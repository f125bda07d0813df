//! Unified content to Lazada IM messages (`POST /im/message/send` with the session and a
//! template), the send, and marking a session read.
//!
//! | content | Lazada message |
//! |---|---|
//! | `Text` | template 1, `txt` |
//! | `Image` at an `http(s)` URL | template 3, `img_url`; a caption follows as a text message |
//! | `Product` | template 10006, `item_id` |
//! | `Order` | template 10007, `order_id` |
//!
//! Everything else is `Unsupported` before any call. The recipient is the chat's session id
//! ([`SESSION_IDENTITY`](crate::SESSION_IDENTITY)).

mod send;

use unibox_core::{Content, Error, ErrorKind, MediaSource, Result};

use crate::template;

fn invalid(message: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::InvalidInput, message).with_operation("lazada.send")
}

/// The parameters of one `/im/message/send` call, without the session.
pub(crate) type Message = Vec<(&'static str, String)>;

/// The messages `content` is sent as: one, or an image and its caption.
pub(crate) fn messages(content: &Content) -> Result<Vec<Message>> {
    let text = |body: &str| -> Result<Message> {
        if body.trim().is_empty() {
            return Err(invalid("a Lazada text message cannot be empty"));
        }
        Ok(vec![("template_id", template::TEXT.to_string()), ("txt", body.to_owned())])
    };
    Ok(match content {
        Content::Text { text: body } => vec![text(body)?],
        Content::Image(media) => {
            let url = match &media.source {
                MediaSource::Url { url } if matches!(url.scheme(), "https" | "http") => url,
                MediaSource::Url { .. } => return Err(invalid("Lazada sends images by http(s) URL")),
                MediaSource::PlatformId { .. } => {
                    return Err(Error::new(ErrorKind::Unsupported, "Lazada sends images by URL, not by a media id")
                        .with_operation("lazada.send"));
                }
            };
            let mut messages = vec![vec![("template_id", template::IMAGE.to_string()), ("img_url", url.to_string())]];
            if let Some(caption) = media.caption.as_deref().filter(|c| !c.trim().is_empty()) {
                messages.push(text(caption)?);
            }
            messages
        }
        Content::Product { product_id, .. } if !product_id.is_empty() => {
            vec![vec![("template_id", template::ITEM.to_string()), ("item_id", product_id.clone())]]
        }
        Content::Order { order_id, .. } if !order_id.is_empty() => {
            vec![vec![("template_id", template::ORDER.to_string()), ("order_id", order_id.clone())]]
        }
        Content::Product { .. } | Content::Order { .. } => return Err(invalid("a product or order card needs its id")),
        other => {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!("the Lazada channel does not send {} content", other.kind().as_str()),
            )
            .with_operation("lazada.send"));
        }
    })
}

#[cfg(test)]
mod tests {
    use unibox_core::Media;

    use super::*;

    #[test]
    fn each_kind_is_its_template() {
        assert_eq!(
            messages(&Content::text("hi")).unwrap(),
            vec![vec![("template_id", "1".into()), ("txt", "hi".into())]]
        );
        let mut image = Media::from_url("https://cdn.example.com/a.jpg".parse().unwrap());
        image.caption = Some("Your parcel".into());
        let sent = messages(&Content::Image(image)).unwrap();
        assert_eq!(sent.len(), 2);
        assert_eq!(sent[0][1], ("img_url", "https://cdn.example.com/a.jpg".into()));
        let product = Content::Product { product_id: "2736412345".into(), name: None, url: None };
        assert_eq!(messages(&product).unwrap()[0][0], ("template_id", "10006".into()));
        let order = Content::Order { order_id: "260422900198363".into(), status: None };
        assert_eq!(messages(&order).unwrap()[0][1], ("order_id", "260422900198363".into()));
        assert_eq!(messages(&Content::text("  ")).unwrap_err().kind(), ErrorKind::InvalidInput);
        let sticker = Content::Sticker { sticker_id: "1".into(), package_id: None, url: None };
        assert_eq!(messages(&sticker).unwrap_err().kind(), ErrorKind::Unsupported);
    }
}
