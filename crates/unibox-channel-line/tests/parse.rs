//! Every LINE webhook event kind, from signed fixtures, to unified events.

mod common;

use unibox_channel_line::{ChannelMode, GROUP_IDENTITY, ROOM_IDENTITY};
use unibox_core::{Channel, Content, EventKind, IdentityKind, InboundMessage, MediaSource, Timestamp};

use common::{BOT, EVENT_MILLIS, GROUP, USER};

fn message(name: &str) -> InboundMessage {
    match common::event(name).kind {
        EventKind::Message(message) => message,
        other => panic!("{name} should be a message, got {other:?}"),
    }
}

fn unsupported(name: &str) -> (String, serde_json::Value) {
    match common::event(name).kind {
        EventKind::Unsupported { platform_type, raw } => (platform_type, raw),
        other => panic!("{name} should be kept whole, got {other:?}"),
    }
}

#[test]
fn a_text_message_names_the_bot_the_customer_and_the_webhook_event_id() {
    let event = common::event("text");
    assert_eq!(event.id, "01JD4T7Q9X8M2B3C4D5E6F7G8H");
    assert_eq!(event.account, BOT);
    assert_eq!(event.occurred_at, Timestamp::from_unix_millis(EVENT_MILLIS));
    let EventKind::Message(message) = event.kind else { panic!("a message") };
    assert_eq!(message.customer.kind, IdentityKind::LineUserId);
    assert_eq!(message.customer.id, USER);
    assert_eq!(message.message_id, "468789577898262530");
    assert_eq!(message.content, Content::text("Hello, is the blue standing desk still in stock?"));
    assert_eq!(message.reply_to, None);
}

#[test]
fn a_group_message_belongs_to_the_group_and_keeps_its_quote() {
    let message = message("text_emoji_mention");
    assert_eq!(message.customer.kind, IdentityKind::Other(GROUP_IDENTITY.into()));
    assert_eq!(message.customer.id, GROUP);
    assert_eq!(message.reply_to.as_deref(), Some("468789532432007169"));
    assert_eq!(message.content, Content::text("@Acme Bot $ order TH-20931 please"));
}

#[test]
fn media_on_line_are_named_by_message_id_and_external_media_by_url() {
    for (name, id) in [("image", "354718705033693859"), ("video", "325708"), ("audio", "325709"), ("file", "325710")] {
        let content = message(name).content;
        let media = match &content {
            Content::Image(media) | Content::Video(media) | Content::Audio(media) | Content::File(media) => media,
            other => panic!("{name}: expected media, got {other:?}"),
        };
        assert_eq!(media.source, MediaSource::PlatformId { id: id.into() }, "{name}");
        assert_eq!(content.kind().as_str(), name, "{name}");
    }
    let Content::File(file) = message("file").content else { panic!("a file") };
    assert_eq!(file.file_name.as_deref(), Some("INV-2024-0042.pdf"));
    let Content::Image(external) = message("image_external").content else { panic!("an image") };
    assert_eq!(
        external.source,
        MediaSource::Url { url: "https://cdn.example.com/uploads/receipt-8812.jpg".parse().unwrap() }
    );
}

#[test]
fn locations_and_stickers_keep_their_fields() {
    assert_eq!(
        message("location").content,
        Content::Location {
            latitude: 13.7466,
            longitude: 100.5393,
            name: Some("Acme Store Siam".into()),
            address: Some("991 Rama I Rd, Pathum Wan, Bangkok 10330".into()),
        }
    );
    assert_eq!(
        message("sticker").content,
        Content::Sticker { sticker_id: "52002738".into(), package_id: Some("11537".into()), url: None }
    );
}

#[test]
fn an_unknown_message_type_is_a_message_with_its_json() {
    let message = message("message_unknown_type");
    assert_eq!(message.message_id, "325712");
    let Content::Unsupported { platform_type, raw } = message.content else { panic!("unsupported content") };
    assert_eq!(platform_type, "poll");
    assert_eq!(raw["question"], "Delivery slot?");
}

#[test]
fn an_edited_message_is_an_edit_of_the_original_message_id() {
    match common::event("message_edited").kind {
        EventKind::Edit { customer, message_id, content } => {
            // A group's message: the group is the chat an edit belongs to, like the message.
            assert_eq!(customer.id, GROUP);
            assert_eq!(message_id, "468789577898262530");
            assert_eq!(content, Content::text("Two blue kettles, not one, please"));
        }
        other => panic!("messageEdited: {other:?}"),
    }
}

#[test]
fn unsend_follow_unfollow_and_postback_are_typed_events() {
    match common::event("unsend").kind {
        EventKind::Unsend { customer, message_id } => {
            assert_eq!((customer.id.as_str(), message_id.as_str()), (USER, "468789577898262530"))
        }
        other => panic!("unsend: {other:?}"),
    }
    assert!(matches!(common::event("follow").kind, EventKind::Follow { customer } if customer.id == USER));
    assert!(matches!(common::event("unfollow").kind, EventKind::Unfollow { customer } if customer.id == USER));
    match common::event("postback").kind {
        EventKind::Postback { customer, payload, title } => {
            assert_eq!(customer.id, USER);
            assert_eq!(payload, "action=track&order=TH-20931");
            assert_eq!(title, None);
        }
        other => panic!("postback: {other:?}"),
    }
}

#[test]
fn the_bot_joining_or_leaving_a_group_follows_or_unfollows_that_chat() {
    // The group chat is the conversation's customer: after `leave` nothing can be sent to it.
    let group = |kind: &EventKind| kind.customer().map(|c| (c.kind.clone(), c.id.clone()));
    let expected = Some((IdentityKind::Other(GROUP_IDENTITY.into()), GROUP.to_owned()));
    let joined = common::event("join");
    assert!(matches!(joined.kind, EventKind::Follow { .. }), "{:?}", joined.kind);
    assert_eq!(group(&joined.kind), expected);
    let left = common::event("leave");
    assert!(matches!(left.kind, EventKind::Unfollow { .. }), "{:?}", left.kind);
    assert_eq!(group(&left.kind), expected);
}

#[test]
fn member_changes_and_every_other_event_type_is_kept_whole() {
    for (name, line_type) in [
        ("member_joined", "memberJoined"),
        ("member_left", "memberLeft"),
        ("video_play_complete", "videoPlayComplete"),
        ("beacon", "beacon"),
        ("account_link", "accountLink"),
        ("membership", "membership"),
        ("module_activated", "activated"),
        ("bot_suspended", "botSuspended"),
        ("legacy_things", "things"),
    ] {
        let event = common::event(name);
        assert_eq!(event.account, BOT, "{name}");
        let EventKind::Unsupported { platform_type, raw } = event.kind else { panic!("{name} should be kept whole") };
        assert_eq!(platform_type, line_type, "{name}");
        assert_eq!(raw["type"], line_type, "{name}: the raw JSON is the whole event");
    }
    let (_, joined) = unsupported("member_joined");
    assert_eq!(joined["joined"]["members"].as_array().map(Vec::len), Some(2));
    assert_eq!(joined["source"]["roomId"], "Ra8dbf4673c4c812cd491258042226c99");
    let _ = ROOM_IDENTITY;
}

#[test]
fn an_event_without_webhook_event_id_gets_a_stable_fingerprint() {
    let first = common::event("legacy_things");
    let again = common::event("legacy_things");
    assert!(first.id.starts_with("line-sha256-"), "{}", first.id);
    assert_eq!(first.id, again.id);
}

#[test]
fn the_verify_delivery_parses_into_no_events() {
    assert!(common::events("verify").is_empty());
}

#[test]
fn a_batch_keeps_every_event_in_order() {
    let events = common::events("batch");
    let kinds: Vec<&str> = events.iter().map(|e| e.kind.name()).collect();
    assert_eq!(kinds, ["follow", "message", "message", "message"]);
    assert!(events.iter().all(|e| e.account == BOT));
    let ids: std::collections::HashSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids.len(), 4);
}

#[test]
fn reply_tokens_are_held_only_for_live_active_events() {
    let channel = common::channel();
    common::events_of(&channel, &common::fixture("text"));
    assert_eq!(channel.held_reply_tokens(), 1);
    common::events_of(&channel, &common::fixture("redelivered_text"));
    assert_eq!(channel.held_reply_tokens(), 1, "a redelivered event's token is not held");
    common::events_of(&channel, &common::fixture("standby_text"));
    assert_eq!(channel.held_reply_tokens(), 1, "a standby event carries no usable token");
    common::events_of(&channel, &common::fixture("batch"));
    assert_eq!(channel.held_reply_tokens(), 5);
    assert!(!format!("{channel:?}").contains("nHuyWiB7"), "reply tokens never appear in Debug output");
}

#[test]
fn standby_is_recorded_per_bot_and_a_later_active_event_lifts_it() {
    let channel = common::channel();
    assert_eq!(channel.mode(BOT), ChannelMode::Active);
    let events = common::events_of(&channel, &common::fixture("standby_text"));
    assert_eq!(events.len(), 1, "standby events are still stored");
    assert_eq!(channel.mode(BOT), ChannelMode::Standby);
    // The batch's events are later than the standby one.
    let later = String::from_utf8(common::fixture("batch")).unwrap().replace("1732000000123", "1732000009123");
    common::events_of(&channel, later.as_bytes());
    assert_eq!(channel.mode(BOT), ChannelMode::Active);
}

#[test]
fn a_delivery_without_destination_or_events_is_malformed() {
    let channel = common::channel();
    for body in [&br#"{"events":[]}"#[..], br#"{"destination":"U0"}"#, b"[]", b"not json"] {
        let request = common::signed(body);
        let verified = channel.verify(&request).unwrap();
        assert_eq!(channel.parse(&verified).unwrap_err().kind(), unibox_core::ErrorKind::MalformedPayload);
    }
}

#[test]
fn an_event_missing_its_source_is_kept_whole_not_dropped() {
    let body = br#"{"destination":"U4af4980629c37e7b3ad0a4e2e0a8b2ed","events":[{"type":"message","message":{"type":"text","id":"1","text":"hi"},"timestamp":1732000000123,"mode":"active","webhookEventId":"01JD4T7QZZ8M2B3C4D5E6F7G8H","deliveryContext":{"isRedelivery":false}},{"type":"message","timestamp":"yesterday"}]}"#;
    let events = common::events_of(&common::channel(), body);
    assert_eq!(events.len(), 2);
    assert!(matches!(&events[0].kind, EventKind::Unsupported { platform_type, .. } if platform_type == "message"));
    assert!(matches!(&events[1].kind, EventKind::Unsupported { raw, .. } if raw["timestamp"] == "yesterday"));
}

#[test]
fn an_event_that_reports_no_mode_does_not_lift_standby() {
    let channel = common::channel();
    common::events_of(&channel, &common::fixture("standby_text"));
    // A legacy event without `mode`, later than the standby one.
    let legacy = String::from_utf8(common::fixture("legacy_things")).unwrap().replace("1732000000123", "1732000009123");
    common::events_of(&channel, legacy.as_bytes());
    assert_eq!(channel.mode(BOT), ChannelMode::Standby);
}
