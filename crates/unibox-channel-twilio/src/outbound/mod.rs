//! Unified content to the form of Twilio's Messages resource
//! (`POST /2010-04-01/Accounts/{AccountSid}/Messages.json`).
//!
//! | content | form fields |
//! |---|---|
//! | `Text` | `Body` (1–1,600 characters) |
//! | `Image`, `Video`, `Audio`, `File` at a URL | `MediaUrl`, with the caption as `Body` (MMS in the US and Canada; WhatsApp everywhere) |
//! | `Template` | `ContentSid` (the template's name registered with `content_template`, or a Content SID `HX…` itself) and `ContentVariables` (`{"1": …, "2": …}` from the parameters) |
//!
//! Every request names `To` (the customer's address; `whatsapp:+…` on a WhatsApp sender),
//! `From` (the account's address) or `MessagingServiceSid` (an account whose id is `MG…`), and
//! the configured `StatusCallback`. Everything else is `Unsupported` before any call.

mod send;

use std::borrow::Cow;

use unibox_core::{ChannelAccount, ContactIdentity, Content, Error, ErrorKind, IdentityKind, MediaSource, Result};
use url::form_urlencoded::Serializer;

use crate::config::is_sid;
use crate::inbound::{ADDRESS_IDENTITY, WHATSAPP_PREFIX};
use crate::{TwilioConfig, sms_segments};

/// The longest `Body` Twilio accepts, in characters.
pub const MAX_BODY_LENGTH: usize = 1600;

const OPERATION: &str = "twilio.send";

fn invalid(message: impl Into<Cow<'static, str>>) -> Error {
    Error::new(ErrorKind::InvalidInput, message).with_operation(OPERATION)
}

/// A message ready to post.
pub(crate) struct Outgoing {
    /// The form body.
    pub(crate) form: String,
    /// It goes to a WhatsApp address (not billed in SMS segments).
    pub(crate) whatsapp: bool,
    /// The segments the adapter counts itself, for when Twilio reports none.
    pub(crate) own_segments: u32,
}

/// The customer's Twilio address on an account whose address is `from`.
fn to_address(recipient: &ContactIdentity, from: &str) -> Result<String> {
    let value = recipient.value.as_str();
    if value.is_empty() {
        return Err(invalid("the Twilio recipient address is empty"));
    }
    let whatsapp = from.starts_with(WHATSAPP_PREFIX);
    Ok(match &recipient.kind {
        IdentityKind::WhatsappId => {
            let digits = value.trim_start_matches(WHATSAPP_PREFIX).trim_start_matches('+');
            format!("{WHATSAPP_PREFIX}+{digits}")
        }
        IdentityKind::PhoneNumber if whatsapp && !value.starts_with(WHATSAPP_PREFIX) => {
            format!("{WHATSAPP_PREFIX}{value}")
        }
        IdentityKind::PhoneNumber => value.to_owned(),
        IdentityKind::Other(kind) if kind == ADDRESS_IDENTITY => value.to_owned(),
        other => {
            return Err(invalid(format!("a Twilio recipient is a phone number or WhatsApp id, not {other:?}")));
        }
    })
}

fn body(text: &str) -> Result<&str> {
    let length = text.chars().count();
    if length > MAX_BODY_LENGTH {
        return Err(invalid(format!(
            "a Twilio message body has at most {MAX_BODY_LENGTH} characters; this one has {length}"
        )));
    }
    Ok(text)
}

/// The form of `content` sent from `account` to `recipient`.
pub(crate) fn outgoing(
    config: &TwilioConfig,
    account: &ChannelAccount,
    recipient: &ContactIdentity,
    content: &Content,
) -> Result<Outgoing> {
    let from = account.platform_account_id.as_str();
    let to = to_address(recipient, from)?;
    let whatsapp = to.starts_with(WHATSAPP_PREFIX);
    let mut form = Serializer::new(String::new());
    form.append_pair("To", &to);
    if is_sid(from, "MG") {
        form.append_pair("MessagingServiceSid", from);
    } else if from.is_empty() {
        return Err(Error::new(ErrorKind::Configuration, "the Twilio account has no address to send from")
            .with_operation(OPERATION));
    } else {
        form.append_pair("From", from);
    }
    let mut text = "";
    match content {
        Content::Text { text: t } => {
            if t.is_empty() {
                return Err(invalid("a Twilio text message cannot be empty"));
            }
            text = body(t)?;
            form.append_pair("Body", text);
        }
        Content::Image(media) | Content::Video(media) | Content::Audio(media) | Content::File(media) => {
            let MediaSource::Url { url } = &media.source else {
                return Err(invalid("Twilio sends media from a public URL, not a platform media id"));
            };
            if !matches!(url.scheme(), "https" | "http") {
                return Err(invalid("Twilio fetches media over http or https"));
            }
            form.append_pair("MediaUrl", url.as_str());
            if let Some(caption) = media.caption.as_deref().filter(|c| !c.is_empty()) {
                text = body(caption)?;
                form.append_pair("Body", text);
            }
        }
        Content::Template { name, parameters, .. } => {
            let sid = match config.content_sid(name) {
                Some(sid) => sid,
                None if is_sid(name, "HX") => name.as_str(),
                None => {
                    return Err(invalid(format!(
                        "the template {name:?} is neither a Content SID (HX…) nor registered with content_template"
                    )));
                }
            };
            form.append_pair("ContentSid", sid);
            if !parameters.is_empty() {
                let variables: serde_json::Map<String, serde_json::Value> = parameters
                    .iter()
                    .enumerate()
                    .map(|(i, value)| ((i + 1).to_string(), serde_json::Value::String(value.clone())))
                    .collect();
                form.append_pair("ContentVariables", &serde_json::Value::Object(variables).to_string());
            }
        }
        other => {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!("the Twilio channel does not send {} content", other.kind().as_str()),
            )
            .with_operation(OPERATION));
        }
    }
    if let Some(callback) = &config.status_callback_url {
        form.append_pair("StatusCallback", callback.as_str());
    }
    Ok(Outgoing { form: form.finish(), whatsapp, own_segments: sms_segments(text).segments })
}

#[cfg(test)]
mod tests {
    use unibox_core::{ChannelKind, Media, Timestamp};

    use super::*;

    fn config() -> TwilioConfig {
        TwilioConfig::builder()
            .account_sid("AC3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c")
            .auth_token("tok")
            .webhook_url("https://inbox.example.com/webhooks/twilio")
            .content_template("order_shipped", "HXb5b62575e6e4ff6129ad7c8efe1f983e")
            .build()
            .unwrap()
    }

    fn account(address: &str) -> ChannelAccount {
        ChannelAccount::new(
            "acme".parse().unwrap(),
            "acme-twilio".parse().unwrap(),
            ChannelKind::TWILIO,
            address,
            Timestamp::UNIX_EPOCH,
        )
    }

    fn fields(outgoing: &Outgoing) -> Vec<(String, String)> {
        url::form_urlencoded::parse(outgoing.form.as_bytes()).into_owned().collect()
    }

    #[test]
    fn whatsapp_ids_get_the_prefix_and_templates_their_variables() {
        let account = account("whatsapp:+14155238886");
        let recipient =
            ContactIdentity { account: account.id, kind: IdentityKind::WhatsappId, value: "66812345678".into() };
        let content = Content::Template {
            name: "order_shipped".into(),
            language: "en".into(),
            parameters: vec!["Somchai".into(), "TH-20931".into()],
        };
        let outgoing = outgoing(&config(), &account, &recipient, &content).unwrap();
        assert!(outgoing.whatsapp);
        let fields = fields(&outgoing);
        assert!(fields.contains(&("To".into(), "whatsapp:+66812345678".into())));
        assert!(fields.contains(&("From".into(), "whatsapp:+14155238886".into())));
        assert!(fields.contains(&("ContentSid".into(), "HXb5b62575e6e4ff6129ad7c8efe1f983e".into())));
        assert!(fields.contains(&("ContentVariables".into(), r#"{"1":"Somchai","2":"TH-20931"}"#.into())));
        assert!(fields.contains(&("StatusCallback".into(), "https://inbox.example.com/webhooks/twilio".into())));
    }

    #[test]
    fn media_captions_are_bodies_and_long_or_unsendable_content_is_refused() {
        let account = account("+14155550100");
        let recipient =
            ContactIdentity { account: account.id, kind: IdentityKind::PhoneNumber, value: "+66812345678".into() };
        let mut media = Media::from_url("https://cdn.example.com/p/TH-20931.jpg".parse().unwrap());
        media.caption = Some("Your parcel".into());
        let sent = outgoing(&config(), &account, &recipient, &Content::Image(media)).unwrap();
        let fields = fields(&sent);
        assert!(fields.contains(&("MediaUrl".into(), "https://cdn.example.com/p/TH-20931.jpg".into())));
        assert!(fields.contains(&("Body".into(), "Your parcel".into())));
        let long = Content::text("ก".repeat(MAX_BODY_LENGTH + 1));
        assert_eq!(
            outgoing(&config(), &account, &recipient, &long).err().map(|e| e.kind()),
            Some(ErrorKind::InvalidInput)
        );
        let sticker = Content::Sticker { sticker_id: "1".into(), package_id: None, url: None };
        assert_eq!(
            outgoing(&config(), &account, &recipient, &sticker).err().map(|e| e.kind()),
            Some(ErrorKind::Unsupported)
        );
        let unknown = Content::Template { name: "welcome".into(), language: "en".into(), parameters: vec![] };
        assert_eq!(
            outgoing(&config(), &account, &recipient, &unknown).err().map(|e| e.kind()),
            Some(ErrorKind::InvalidInput)
        );
    }

    #[test]
    fn a_messaging_service_account_sends_with_its_sid() {
        let account = account("MG9f8e7d6c5b4a39281706f5e4d3c2b1a0");
        let recipient =
            ContactIdentity { account: account.id, kind: IdentityKind::PhoneNumber, value: "+66812345678".into() };
        let sent = outgoing(&config(), &account, &recipient, &Content::text("hi")).unwrap();
        assert!(fields(&sent).contains(&("MessagingServiceSid".into(), "MG9f8e7d6c5b4a39281706f5e4d3c2b1a0".into())));
        assert_eq!(sent.own_segments, 1);
    }
}
