//! Every Telegram update kind, from delivered fixtures, to unified events.

mod common;

use unibox_channel_telegram::BUSINESS_CHAT_IDENTITY;
use unibox_core::command::Command;
use unibox_core::{
    Channel, Content, Direction, ErrorKind, EventKind, IdentityKind, InboundMessage, MediaSource, Timestamp,
};

use common::{BOT_ID, BUSINESS_CONNECTION, BUSINESS_CUSTOMER, GROUP, NOW_SECONDS, SUPERGROUP, USER};

fn message(name: &str) -> InboundMessage {
    match common::event(name).kind {
        EventKind::Message(message) => message,
        other => panic!("{name} should be a message, got {other:?}"),
    }
}

fn platform_id(id: &str) -> MediaSource {
    MediaSource::PlatformId { id: id.into() }
}

#[test]
fn the_fact_sheets_official_sample_is_a_start_command_from_a_private_chat() {
    let event = common::event("official_start");
    assert_eq!((event.id.as_str(), event.account.as_str()), ("10000", BOT_ID));
    assert_eq!(event.occurred_at, Timestamp::from_unix_seconds(1441645532));
    let EventKind::Message(message) = event.kind else { panic!("a message") };
    assert_eq!(message.customer.kind, IdentityKind::TelegramUserId, "no chat.type in this old sample: private");
    assert_eq!(message.customer.id, "1111111");
    assert_eq!(message.customer.display_name.as_deref(), Some("Test Test Lastname"));
    assert_eq!(message.message_id, "1111111:1365", "message ids are unique per chat only");
    assert_eq!(message.content, Content::Command(Command::new("start", "")));
}

#[test]
fn text_with_entities_is_text_and_a_start_payload_is_a_command_argument() {
    let text = message("text_entities");
    assert_eq!(text.customer.id, USER);
    assert_eq!(
        text.content,
        Content::text("Hi! Is the *blue* standing desk in stock? Link: https://acme.example/p/desk-120 @acme_support")
    );
    let start = message("start_payload");
    assert_eq!(start.content, Content::Command(Command::new("start", "ref_2024-summer")));
}

#[test]
fn group_commands_for_this_bot_are_commands_and_for_another_bot_text() {
    let order = message("group_command");
    assert_eq!(order.customer.kind, IdentityKind::TelegramChatId);
    assert_eq!((order.customer.id.as_str(), order.customer.display_name.as_deref()), (SUPERGROUP, Some("Acme buyers")));
    let Content::Command(command) = &order.content else { panic!("a command: {:?}", order.content) };
    assert_eq!((command.name.as_str(), command.arguments.as_str()), ("order", "123"));
    assert_eq!(command.bot.as_deref(), Some("acme_shop_bot"));
    assert_eq!(message("group_command_other_bot").content, Content::text("/start@other_shop_bot"));
}

#[test]
fn a_photo_is_its_largest_size_with_the_caption() {
    let Content::Image(image) = message("photo").content else { panic!("an image") };
    assert_eq!(image.source, platform_id("AgACAgUAAxkBAAIBY2dXbQ1-large"));
    assert_eq!(image.caption.as_deref(), Some("The desk arrived with a scratch, see photo"));
}

#[test]
fn files_voice_audio_video_and_animations_keep_their_file_id_type_name_and_caption() {
    let Content::File(document) = message("document").content else { panic!("a file") };
    assert_eq!(document.source, platform_id("BQACAgUAAxkBAAIBZGdXbR5invoice"));
    assert_eq!(document.file_name.as_deref(), Some("INV-2024-0042.pdf"));
    assert_eq!(document.mime_type.as_deref(), Some("application/pdf"));
    assert_eq!(document.caption.as_deref(), Some("My invoice"));
    let Content::Audio(audio) = message("audio").content else { panic!("audio") };
    assert_eq!(
        (audio.file_name.as_deref(), audio.mime_type.as_deref()),
        (Some("assembly-guide.mp3"), Some("audio/mpeg"))
    );
    let Content::Audio(voice) = message("voice").content else { panic!("a voice note") };
    assert_eq!(
        (voice.source, voice.mime_type.as_deref()),
        (platform_id("AwACAgUAAxkBAAIBZmdXbT5voice"), Some("audio/ogg"))
    );
    let Content::Video(video) = message("video").content else { panic!("a video") };
    assert_eq!(video.caption.as_deref(), Some("The left leg wobbles"));
    assert_eq!(video.source, platform_id("BAACAgUAAxkBAAIBZ2dXbU5video"));
    let animation = message("reply_with_animation");
    assert!(matches!(animation.content, Content::Video(_)), "an animation (which also carries a document) is a video");
    assert_eq!(animation.reply_to.as_deref(), Some("5123456789:4840"), "a reply names the message in the same chat");
}

#[test]
fn stickers_locations_venues_and_contacts_keep_their_fields() {
    assert_eq!(
        message("sticker").content,
        Content::Sticker {
            sticker_id: "CAACAgIAAxkBAAIBaGdXbV5sticker".into(),
            package_id: Some("HotCherry".into()),
            url: None
        }
    );
    assert_eq!(
        message("location").content,
        Content::Location { latitude: 13.746613, longitude: 100.539345, name: None, address: None }
    );
    assert_eq!(
        message("venue").content,
        Content::Location {
            latitude: 13.7466,
            longitude: 100.5393,
            name: Some("Acme Store Siam".into()),
            address: Some("991 Rama I Rd, Pathum Wan, Bangkok 10330".into()),
        }
    );
    assert_eq!(
        message("contact").content,
        Content::ContactCard { name: "Malee Srisuk".into(), phones: vec!["+66812345678".into()], emails: vec![] }
    );
}

#[test]
fn edits_of_messages_channel_posts_and_business_messages_are_edits_of_the_same_id() {
    let original = message("text_entities");
    match common::event("edited_message") {
        event if event.occurred_at == Timestamp::from_unix_seconds(1732000090) => match event.kind {
            EventKind::Edit { customer, message_id, content } => {
                assert_eq!(customer.id, USER);
                assert_eq!(message_id, original.message_id);
                assert_eq!(content, Content::text("Hi! Is the blue standing desk (120 cm) in stock?"));
            }
            other => panic!("an edit: {other:?}"),
        },
        other => panic!("dated by edit_date: {other:?}"),
    }
    let post = message("channel_post");
    assert_eq!(
        (post.customer.kind.clone(), post.customer.id.as_str()),
        (IdentityKind::TelegramChatId, "-1001987654321")
    );
    assert!(
        matches!(common::event("edited_channel_post").kind, EventKind::Edit { message_id, .. } if message_id == post.message_id)
    );
    let business = message("business_message");
    assert!(
        matches!(common::event("edited_business_message").kind, EventKind::Edit { message_id, .. } if message_id == business.message_id)
    );
}

#[test]
fn business_messages_name_the_connection_and_the_owners_own_messages_are_outbound() {
    let incoming = message("business_message");
    assert_eq!(incoming.customer.kind, IdentityKind::Other(BUSINESS_CHAT_IDENTITY.into()));
    assert_eq!(incoming.customer.id, format!("{BUSINESS_CONNECTION}:{BUSINESS_CUSTOMER}"));
    assert_eq!(incoming.customer.display_name.as_deref(), Some("Malee Srisuk"));
    assert_eq!(incoming.direction, Direction::Inbound);
    assert_eq!(incoming.message_id, format!("{BUSINESS_CONNECTION}:{BUSINESS_CUSTOMER}:201"));
    let outgoing = message("business_message_outgoing");
    assert_eq!(outgoing.direction, Direction::Outbound, "the business owner wrote it from their phone");
    assert_eq!(outgoing.customer.id, incoming.customer.id, "the same conversation");

    let deleted = common::events("deleted_business_messages");
    let ids: Vec<&str> = deleted.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, ["735120024:0", "735120024:1"]);
    assert!(matches!(&deleted[0].kind, EventKind::Unsend { message_id, .. } if *message_id == incoming.message_id));
}

#[test]
fn a_callback_query_is_a_postback_message_with_the_buttons_title_and_the_query_id() {
    let tap = common::event("callback_query");
    assert_eq!(tap.occurred_at, Timestamp::from_unix_seconds(NOW_SECONDS), "Telegram dates no callback query");
    let EventKind::Message(message) = tap.kind else { panic!("a message") };
    assert_eq!(message.customer.id, USER);
    assert_eq!(message.message_id, "callback:4382bfdwdsb323b2d9");
    assert_eq!(unibox_channel_telegram::callback_query_id(&message.message_id), Some("4382bfdwdsb323b2d9"));
    assert_eq!(message.reply_to.as_deref(), Some("5123456789:4840"), "the message the button was on");
    assert_eq!(
        message.content,
        Content::Postback { title: Some("Yes, solved".into()), payload: "csat:yes:TH-20931".into() }
    );
}

#[test]
fn blocking_and_unblocking_the_bot_are_unfollow_and_follow() {
    let blocked = common::event("my_chat_member_blocked");
    assert!(matches!(&blocked.kind, EventKind::Unfollow { customer } if customer.id == USER));
    assert_eq!(blocked.occurred_at, Timestamp::from_unix_seconds(1732000300));
    assert!(
        matches!(common::event("my_chat_member_unblocked").kind, EventKind::Follow { customer } if customer.id == USER)
    );
    let added = common::event("my_chat_member_added_to_group");
    assert!(
        matches!(added.kind, EventKind::Unsupported { ref platform_type, .. } if platform_type == "my_chat_member")
    );
}

#[test]
fn a_group_becoming_a_supergroup_changes_the_customers_id_from_either_side() {
    for name in ["migrate_to_chat_id", "migrate_from_chat_id"] {
        match common::event(name).kind {
            EventKind::CustomerIdChanged { customer, previous_id } => {
                assert_eq!(customer.kind, IdentityKind::TelegramChatId, "{name}");
                assert_eq!((customer.id.as_str(), previous_id.as_str()), (SUPERGROUP, GROUP), "{name}");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn service_messages_and_other_updates_are_kept_whole_and_other_content_is_unsupported_content() {
    for (name, kind) in [("new_chat_members", "new_chat_members"), ("inline_query", "inline_query")] {
        let event = common::event(name);
        let EventKind::Unsupported { platform_type, raw } = event.kind else { panic!("{name} kept whole") };
        assert_eq!(platform_type, kind);
        assert!(raw["update_id"].is_i64(), "{name}: the raw JSON is the whole update");
    }
    let poll = message("poll");
    let Content::Unsupported { platform_type, raw } = poll.content else { panic!("unsupported content") };
    assert_eq!(platform_type, "poll");
    assert_eq!(raw["poll"]["question"], "Which delivery slot?");
}

#[test]
fn a_reaction_names_the_user_and_the_message_in_its_chat() {
    match common::event("message_reaction").kind {
        EventKind::Reaction { customer, message_id, emoji } => {
            assert_eq!((customer.id.as_str(), message_id.as_str()), (USER, "5123456789:4840"));
            assert_eq!(emoji.as_deref(), Some("👍"));
        }
        other => panic!("a reaction: {other:?}"),
    }
}

#[test]
fn every_fixture_is_one_update_named_by_its_update_id() {
    for name in common::fixture_names() {
        let body: serde_json::Value = serde_json::from_slice(&common::fixture(&name)).unwrap();
        let update_id = body["update_id"].as_i64().unwrap().to_string();
        for event in common::events(&name) {
            assert_eq!(event.account, BOT_ID, "{name}");
            assert!(event.id == update_id || event.id.starts_with(&format!("{update_id}:")), "{name}: {}", event.id);
        }
    }
}

#[test]
fn an_update_with_unexpected_types_is_kept_whole_and_a_non_update_is_malformed() {
    let odd = br#"{"update_id":735129999,"message":{"message_id":"not a number","chat":{"id":1},"text":7}}"#;
    let events = common::events_of(&common::channel(), odd);
    assert!(matches!(&events[0].kind, EventKind::Unsupported { platform_type, .. } if platform_type == "message"));
    let channel = common::channel();
    for body in [&b"[]"[..], b"{}", br#"{"update_id":"1"}"#, b"not json", b""] {
        let request = common::delivered(body);
        let error = channel.parse(&channel.verify(&request).unwrap()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::MalformedPayload, "{}", String::from_utf8_lossy(body));
    }
}
