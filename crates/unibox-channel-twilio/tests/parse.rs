//! Every fixture parsed: SMS, MMS, WhatsApp messages and every status callback kind.

mod common;

use unibox_core::{
    Content, DeliveryStatus, ErrorKind, EventKind, IdentityKind, InboundMessage, MediaSource, Timestamp,
};

use common::{CUSTOMER, NOW_SECONDS, NUMBER, WHATSAPP_SENDER};

fn message(name: &str) -> InboundMessage {
    match common::event(name).kind {
        EventKind::Message(message) => message,
        other => panic!("{name} is not a message: {other:?}"),
    }
}

fn media_url(content: &Content) -> String {
    let (Content::Image(media) | Content::Video(media) | Content::Audio(media) | Content::File(media)) = content else {
        panic!("not media: {content:?}");
    };
    match &media.source {
        MediaSource::Url { url } => url.to_string(),
        other => panic!("not a URL: {other:?}"),
    }
}

#[test]
fn an_sms_is_a_text_message_from_a_phone_number_to_the_number_account() {
    let event = common::event("sms");
    assert_eq!(event.id, "SM0b8c2d4e6f8a0b2c4d6e8f0a2b4c6d8e");
    assert_eq!(event.account, NUMBER);
    assert_eq!(event.occurred_at, Timestamp::from_unix_seconds(NOW_SECONDS), "stamped on receipt");
    let EventKind::Message(message) = event.kind else { panic!("a message") };
    assert_eq!((message.customer.kind, message.customer.id.as_str()), (IdentityKind::PhoneNumber, CUSTOMER));
    assert_eq!(
        message.content,
        Content::text("Hi, I ordered the standing desk (TH-20931) on Monday. Has it shipped yet?")
    );
}

#[test]
fn percent_encoded_thai_emoji_plus_and_ampersand_decode_exactly() {
    assert_eq!(
        message("sms_thai").content,
        Content::text("สวัสดีค่ะ สั่งโต๊ะยืนไปเมื่อวันจันทร์ (TH-20931) ส่งของแล้วหรือยังคะ? 🙏 ราคา 5,990 บาท & ค่าส่ง +50")
    );
}

#[test]
fn an_mms_with_two_images_is_two_messages_the_caption_on_the_first() {
    let events = common::events("mms_two_images");
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].id, "MM2dae4f6a8b0c2d4e6f8a0b2c4d6e8f0a");
    assert_eq!(events[1].id, "MM2dae4f6a8b0c2d4e6f8a0b2c4d6e8f0a/1");
    let (EventKind::Message(first), EventKind::Message(second)) = (&events[0].kind, &events[1].kind) else {
        panic!("two messages");
    };
    let Content::Image(photo) = &first.content else { panic!("an image") };
    assert_eq!(photo.caption.as_deref(), Some("The box arrived damaged, photos attached"));
    assert_eq!(photo.mime_type.as_deref(), Some("image/jpeg"));
    assert!(media_url(&first.content).ends_with("/Media/ME4f6a8b0c2d4e6f8a0b2c4d6e8f0a2b4c"));
    assert!(media_url(&second.content).starts_with(
        "https://api.twilio.com/2010-04-01/Accounts/AC3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c/Messages/MM2dae4f6a8b0c2d4e6f8a0b2c4d6e8f0a/Media/"
    ));
    assert!(
        matches!(&second.content, Content::Image(m) if m.caption.is_none() && m.mime_type.as_deref() == Some("image/png"))
    );
}

#[test]
fn a_video_without_text_is_a_video_without_caption() {
    let message = message("mms_video");
    assert!(matches!(&message.content, Content::Video(m) if m.caption.is_none()));
}

#[test]
fn whatsapp_messages_name_the_sender_account_and_the_customer_by_wa_id_with_profile_name() {
    let event = common::event("whatsapp_text");
    assert_eq!(event.account, WHATSAPP_SENDER);
    let EventKind::Message(message) = event.kind else { panic!("a message") };
    assert_eq!(message.customer.kind, IdentityKind::WhatsappId);
    assert_eq!(message.customer.id, "66812345678");
    assert_eq!(message.customer.display_name.as_deref(), Some("Somchai J."));
    assert_eq!(message.content, Content::text("Hello! Can I change the delivery address for order TH-20931?"));
}

#[test]
fn whatsapp_images_locations_replies_and_buttons() {
    let image = message("whatsapp_image");
    assert!(
        matches!(&image.content, Content::Image(m) if m.caption.as_deref() == Some("This is the label on the parcel"))
    );
    assert_eq!(
        message("whatsapp_location").content,
        Content::Location {
            latitude: 13.7466,
            longitude: 100.5393,
            name: Some("Siam Paragon".into()),
            address: Some("991 Rama I Rd, Pathum Wan, Bangkok 10330".into()),
        }
    );
    let reply = message("whatsapp_reply");
    assert_eq!(reply.reply_to.as_deref(), Some("SM9e1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d"));
    match common::event("whatsapp_button").kind {
        EventKind::Postback { customer, payload, title } => {
            assert_eq!((customer.id.as_str(), payload.as_str()), ("66812345678", "TRACK_TH-20931"));
            assert_eq!(title.as_deref(), Some("Track my order"));
        }
        other => panic!("a postback: {other:?}"),
    }
}

#[test]
fn a_whatsapp_message_of_a_type_without_mapping_is_kept_whole() {
    let Content::Unsupported { platform_type, raw } = message("whatsapp_unsupported").content else {
        panic!("unsupported content");
    };
    assert_eq!(platform_type, "unsupported");
    assert_eq!(raw["WaId"], "66812345678");
    assert_eq!(raw["MessageSid"], "SM9e15b03b5c7d9e1f3a5b7c9d1e3f5a7b");
}

fn delivery(name: &str) -> (String, String, Vec<String>, DeliveryStatus) {
    let event = common::event(name);
    match event.kind {
        EventKind::Delivery(update) => {
            let customer = update.customer.map(|c| c.id).unwrap_or_default();
            (event.id, format!("{} {customer}", event.account), update.message_ids, update.status)
        }
        other => panic!("{name} is not a delivery update: {other:?}"),
    }
}

#[test]
fn status_callbacks_are_delivery_updates_keyed_by_sid_and_status() {
    let sid = "SM2f4a6c8e0a2c4e6a8c0e2a4c6e8a0c2e";
    for (name, status) in [
        ("status_queued", DeliveryStatus::Queued),
        ("status_sent", DeliveryStatus::Sent),
        ("status_delivered", DeliveryStatus::Delivered),
    ] {
        let (id, who, ids, got) = delivery(name);
        assert_eq!(id, format!("{sid}:{}", status.as_str()));
        assert_eq!(who, format!("{NUMBER} {CUSTOMER}"));
        assert_eq!((ids, got), (vec![sid.to_owned()], status));
    }
    let (id, who, _, read) = delivery("status_whatsapp_read");
    assert_eq!(id, "SM3a5b7d9f1b3d5f7b9d1f3b5d7f9b1d3f:read");
    assert_eq!((who.as_str(), read), ("whatsapp:+14155238886 66812345678", DeliveryStatus::Read));
}

#[test]
fn failures_carry_the_kind_of_their_error_code() {
    let (_, _, _, undelivered) = delivery("status_undelivered");
    assert_eq!(
        undelivered,
        DeliveryStatus::failed_with(
            "recipient_unavailable: undelivered, Twilio error 30003",
            ErrorKind::RecipientUnavailable,
            Some("30003".into())
        )
    );
    let (_, _, _, failed) = delivery("status_whatsapp_failed");
    let DeliveryStatus::Failed { reason, code, kind } = failed else { panic!("failed") };
    assert!(reason.starts_with("messaging_window_closed: failed, Twilio error 63016"), "{reason}");
    assert_eq!((code.as_deref(), kind), (Some("63016"), Some(ErrorKind::MessagingWindowClosed)));
    let (_, _, _, canceled) = delivery("status_canceled");
    assert!(matches!(canceled, DeliveryStatus::Failed { .. }));
}

#[test]
fn an_unknown_status_is_kept_whole_and_a_body_without_sid_is_malformed() {
    let body = b"MessageStatus=partially_delivered&MessageSid=SM2f4a6c8e0a2c4e6a8c0e2a4c6e8a0c2e&From=%2B14155550100&To=%2B66812345678&AccountSid=AC3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c";
    let events = common::events_of(&common::channel(), body);
    assert!(
        matches!(&events[0].kind, EventKind::Unsupported { platform_type, .. } if platform_type == "status:partially_delivered")
    );
    let channel = common::channel();
    let request = common::signed(b"Body=hello&From=%2B66812345678&To=%2B14155550100");
    let error =
        unibox_core::Channel::parse(&channel, &unibox_core::Channel::verify(&channel, &request).unwrap()).unwrap_err();
    assert_eq!(error.kind(), unibox_core::ErrorKind::MalformedPayload);
    assert!(error.message().contains("SmsSid"), "{error}");
    let twice = common::signed(b"MessageSid=SM1&MessageSid=SM2&From=%2B66812345678&To=%2B14155550100");
    let error =
        unibox_core::Channel::parse(&channel, &unibox_core::Channel::verify(&channel, &twice).unwrap()).unwrap_err();
    assert!(error.message().contains("twice"));
}

#[test]
fn events_read_while_verifying_equal_the_events_parse_reads_itself() {
    let channel = common::channel();
    for name in common::fixture_names() {
        let request = common::signed(&common::fixture(&name));
        let verified = unibox_core::Channel::verify(&channel, &request).unwrap();
        // The first parse takes the events verify read; the second decodes the body again.
        let kept = unibox_core::Channel::parse(&channel, &verified).unwrap();
        let decoded = unibox_core::Channel::parse(&channel, &verified).unwrap();
        assert_eq!(kept, decoded, "{name}");
    }
}

#[test]
fn every_fixture_parses_into_events_with_accounts_and_stable_ids() {
    for name in common::fixture_names() {
        let first = common::events(&name);
        let again = common::events(&name);
        assert!(!first.is_empty(), "{name}");
        assert_eq!(first, again, "{name}: parsing is deterministic");
        assert!(first.iter().all(|e| !e.account.is_empty() && !e.id.is_empty()), "{name}");
    }
}
