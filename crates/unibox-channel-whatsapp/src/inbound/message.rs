//! `messages[]` and `message_echoes[]`: every WhatsApp message type to unified events.
//!
//! | `type` | becomes |
//! |---|---|
//! | `text` | a message with `Content::Text` |
//! | `image`, `video`, `audio` (voice notes too), `document` | `Content::Image` / `Video` / `Audio` / `File` with a `MediaSource::PlatformId` (download it with `WhatsAppChannel::download_media`) |
//! | `sticker` | `Content::Sticker` whose `sticker_id` is the media id |
//! | `location` | `Content::Location` |
//! | `contacts` | `Content::ContactCard` for one card; several cards stay `Content::Unsupported` with the raw JSON (one card cannot hold them) |
//! | `interactive` (`button_reply`, `list_reply`) | `Content::Postback` with the button or row id as payload and its title |
//! | `button` (a template's quick reply) | `Content::Postback` |
//! | `order` | `Content::Order` (the order's id is the message's id), plus an `OrderUpdate` event `"{wamid}:order"` with the cart as raw JSON |
//! | `reaction` | `EventKind::Reaction` (an empty emoji removes it) |
//! | `edit` | `EventKind::Edit` of the original message with the new content |
//! | `revoke` | `EventKind::Unsend` of the original message |
//! | `system` (number or identity changed) | `EventKind::Unsupported` `"system.{type}"` with the raw JSON |
//! | `unsupported`, `interactive` `nfm_reply`, anything else | a message with `Content::Unsupported` and the raw JSON |
//!
//! A message with a `referral` (it came from a click-to-WhatsApp ad or post) also yields an
//! `EventKind::Referral` `"{wamid}:referral"`. Replies carry the quoted message's id in
//! `reply_to`. Echoes (`smb_message_echoes`: sent from the WhatsApp Business app on a
//! coexistence number) are outbound messages to the customer they were sent to.

use serde_json::value::RawValue;
use unibox_core::{
    Content, Direction, EventKind, IdentityKind, InboundEvent, InboundMessage, Media, MediaSource, OrderUpdate,
    PlatformUser, Timestamp,
};

use super::wire::{self, Profile};
use super::{Raw, to_value, unix_seconds, unreadable};

/// What every item of one change shares.
pub(crate) struct Scope<'s> {
    /// The business number's `phone_number_id`: the channel account.
    pub(crate) account: &'s str,
    /// The senders' profiles (`value.contacts`).
    pub(crate) contacts: &'s [Profile<'s>],
    /// The time for items without one.
    pub(crate) now: Timestamp,
}

impl Scope<'_> {
    /// The customer: by phone number (`wa_id`) when the item names one, else by business-scoped
    /// user id; with the profile name from `contacts`.
    fn customer(&self, wa_id: Option<&str>, user_id: Option<&str>) -> Option<PlatformUser> {
        let only = if self.contacts.len() == 1 { self.contacts.first() } else { None };
        let (user, name) = match (wa_id, user_id) {
            (Some(wa_id), _) => (
                PlatformUser::new(IdentityKind::WhatsappId, wa_id),
                profile(self.contacts.iter().find(|c| c.wa_id.as_deref() == Some(wa_id)).or(only)),
            ),
            (None, Some(user_id)) => (
                PlatformUser::new(IdentityKind::BusinessScopedUserId, user_id),
                profile(self.contacts.iter().find(|c| c.user_id.as_deref() == Some(user_id)).or(only)),
            ),
            (None, None) => {
                let contact = only?;
                let user = match (&contact.wa_id, &contact.user_id) {
                    (Some(wa_id), _) => PlatformUser::new(IdentityKind::WhatsappId, wa_id.as_ref()),
                    (None, Some(user_id)) => PlatformUser::new(IdentityKind::BusinessScopedUserId, user_id.as_ref()),
                    (None, None) => return None,
                };
                (user, profile(Some(contact)))
            }
        };
        Some(match name {
            Some(name) => user.with_name(name),
            None => user,
        })
    }
}

fn profile(found: Option<&Profile<'_>>) -> Option<String> {
    found.and_then(|p| p.profile.as_ref()).and_then(|p| p.name.as_deref()).filter(|n| !n.is_empty()).map(str::to_owned)
}

/// Normalizes one message (inbound) or echo (outbound) kept as raw JSON (the slow path, when
/// the change's value did not read as a whole).
pub(crate) fn normalize_raw(scope: &Scope<'_>, raw: &RawValue, direction: Direction, out: &mut Vec<InboundEvent>) {
    match serde_json::from_str::<wire::Message<'_>>(raw.get()) {
        Ok(message) => normalize(scope, &message, &Raw::Item(raw), direction, out),
        Err(_) => out.push(unreadable(what(direction), scope.account, &Raw::Item(raw), scope.now)),
    }
}

fn what(direction: Direction) -> &'static str {
    if direction == Direction::Inbound { "message" } else { "message_echo" }
}

/// Normalizes one message (inbound) or echo (outbound) into one or more events.
pub(crate) fn normalize(
    scope: &Scope<'_>,
    message: &wire::Message<'_>,
    raw: &Raw<'_>,
    direction: Direction,
    out: &mut Vec<InboundEvent>,
) {
    let what = what(direction);
    let (Some(id), Some(occurred_at)) = (message.id.as_deref(), message.timestamp.as_deref().and_then(unix_seconds))
    else {
        out.push(unreadable(what, scope.account, raw, scope.now));
        return;
    };
    let customer = match direction {
        Direction::Inbound => scope.customer(message.from.as_deref(), message.from_user_id.as_deref()),
        Direction::Outbound => scope.customer(message.to.as_deref(), message.to_user_id.as_deref()),
    };
    // A system notice about a changed user id names no sender; it is still worth keeping.
    let kind = message.kind.as_deref().unwrap_or("");
    let Some(customer) = customer else {
        let platform_type = if kind == "system" { system_type(message) } else { format!("{what}.unreadable") };
        out.push(event(scope, id.to_owned(), occurred_at, EventKind::Unsupported { platform_type, raw: raw.value() }));
        return;
    };
    let referral = message.referral.as_ref().map(|referral| {
        let source = referral.source_type.as_deref().filter(|s| !s.is_empty()).unwrap_or("ad");
        let reference = referral.source_id.as_deref().or(referral.source_url.as_deref()).map(str::to_owned);
        EventKind::Referral { customer: customer.clone(), source: source.to_owned(), reference }
    });
    let event_kind = match (kind, &message.reaction, &message.edit, &message.revoke) {
        ("reaction", Some(reaction), _, _) => EventKind::Reaction {
            customer,
            message_id: reaction.message_id.to_string(),
            emoji: reaction.emoji.as_deref().filter(|e| !e.is_empty()).map(str::to_owned),
        },
        ("edit", _, Some(edit), _) => {
            let content = match serde_json::from_str::<wire::Message<'_>>(edit.message.get()) {
                Ok(new) => content(new.kind.as_deref().unwrap_or(""), &new, &Raw::Item(edit.message)),
                Err(_) => Content::Unsupported { platform_type: "edit".to_owned(), raw: to_value(edit.message) },
            };
            EventKind::Edit { customer, message_id: edit.original_message_id.to_string(), content }
        }
        ("revoke", _, _, Some(revoke)) => {
            EventKind::Unsend { customer, message_id: revoke.original_message_id.to_string() }
        }
        ("system", ..) => EventKind::Unsupported { platform_type: system_type(message), raw: raw.value() },
        _ => {
            let content = content(kind, message, raw);
            if let (Content::Order { .. }, Some(order)) = (&content, message.order) {
                out.push(event(
                    scope,
                    format!("{id}:order"),
                    occurred_at,
                    EventKind::OrderUpdate(OrderUpdate {
                        buyer: Some(customer.clone()),
                        order_id: id.to_owned(),
                        status: ORDER_PLACED.to_owned(),
                        raw: to_value(order),
                    }),
                ));
            }
            EventKind::Message(InboundMessage {
                customer,
                direction,
                message_id: id.to_owned(),
                content,
                reply_to: message.context.as_ref().and_then(|c| c.id.as_deref()).map(str::to_owned),
            })
        }
    };
    out.push(event(scope, id.to_owned(), occurred_at, event_kind));
    if let Some(referral) = referral {
        out.push(event(scope, format!("{id}:referral"), occurred_at, referral));
    }
}

/// The status of an order that arrives as a message: the customer sent the cart.
const ORDER_PLACED: &str = "placed";

fn event(scope: &Scope<'_>, id: String, occurred_at: Timestamp, kind: EventKind) -> InboundEvent {
    InboundEvent { id, account: scope.account.to_owned(), occurred_at, kind }
}

fn system_type(message: &wire::Message<'_>) -> String {
    match message.system.as_ref().and_then(|s| s.kind.as_deref()) {
        Some(kind) => format!("system.{kind}"),
        None => "system".to_owned(),
    }
}

fn owned(text: &Option<wire::Str<'_>>) -> Option<String> {
    text.as_deref().filter(|t| !t.is_empty()).map(str::to_owned)
}

fn media(media: &wire::Media<'_>) -> Option<Media> {
    Some(Media {
        source: MediaSource::PlatformId { id: media.id.as_deref().filter(|id| !id.is_empty())?.to_owned() },
        mime_type: owned(&media.mime_type),
        caption: owned(&media.caption),
        file_name: owned(&media.filename),
    })
}

/// The content of a message of type `kind`; `Unsupported` with the raw JSON when the type is
/// unknown or its object is missing.
fn content(kind: &str, message: &wire::Message<'_>, raw: &Raw<'_>) -> Content {
    let known = match kind {
        "text" => message.text.as_ref().map(|t| Content::text(t.body.as_ref())),
        "image" => message.image.as_deref().and_then(media).map(Content::Image),
        "video" => message.video.as_deref().and_then(media).map(Content::Video),
        "audio" => message.audio.as_deref().and_then(media).map(Content::Audio),
        "document" => message.document.as_deref().and_then(media).map(Content::File),
        "sticker" => message
            .sticker
            .as_ref()
            .and_then(|s| s.id.as_deref())
            .filter(|id| !id.is_empty())
            .map(|id| Content::Sticker { sticker_id: id.to_owned(), package_id: None, url: None }),
        "location" => message.location.as_ref().map(|l| Content::Location {
            latitude: l.latitude,
            longitude: l.longitude,
            name: owned(&l.name),
            address: owned(&l.address),
        }),
        "contacts" => match message.contacts.as_deref() {
            Some([card]) => Some(contact_card(card)),
            _ => None,
        },
        "interactive" => message
            .interactive
            .as_ref()
            .and_then(|i| match i.kind.as_deref() {
                Some("button_reply") => i.button_reply.as_ref(),
                Some("list_reply") => i.list_reply.as_ref(),
                _ => None,
            })
            .map(|choice| Content::Postback { title: owned(&choice.title), payload: choice.id.to_string() }),
        "button" => message.button.as_ref().and_then(|b| {
            let payload = b.payload.as_deref().or(b.text.as_deref())?;
            Some(Content::Postback { title: owned(&b.text), payload: payload.to_owned() })
        }),
        "order" => message
            .order
            .and(message.id.as_deref())
            .map(|id| Content::Order { order_id: id.to_owned(), status: Some(ORDER_PLACED.to_owned()) }),
        _ => None,
    };
    known.unwrap_or_else(|| {
        let platform_type = match (kind, message.interactive.as_ref().and_then(|i| i.kind.as_deref())) {
            ("interactive", Some(sub)) => format!("interactive.{sub}"),
            ("", _) => "unknown".to_owned(),
            (kind, _) => kind.to_owned(),
        };
        Content::Unsupported { platform_type, raw: raw.value() }
    })
}

fn contact_card(card: &wire::ContactCard<'_>) -> Content {
    let name = card
        .name
        .as_ref()
        .and_then(|n| {
            owned(&n.formatted_name).or_else(|| {
                let parts: Vec<&str> = [&n.first_name, &n.last_name].into_iter().filter_map(|p| p.as_deref()).collect();
                (!parts.is_empty()).then(|| parts.join(" "))
            })
        })
        .unwrap_or_default();
    Content::ContactCard {
        name,
        phones: card.phones.iter().filter_map(|p| owned(&p.phone)).collect(),
        emails: card.emails.iter().filter_map(|e| owned(&e.email)).collect(),
    }
}
