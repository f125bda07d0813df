//! Every WhatsApp webhook kind, signed as Meta signs it, parsed into unified events.

mod common;

use common::{CUSTOMER, PHONE_NUMBER_ID, event, events};
use unibox_core::{
    Channel, Content, DeliveryStatus, Direction, ErrorKind, EventKind, IdentityKind, InboundMessage, MediaSource,
    Timestamp,
};

fn message(name: &str) -> InboundMessage {
    let event = event(name);
    assert_eq!(event.account, PHONE_NUMBER_ID, "{name}: the account is the business number");
    match event.kind {
        EventKind::Message(message) => {
            assert_eq!(event.id, message.message_id, "{name}: a message's event id is its wamid");
            message
        }
        other => panic!("{name}: expected a message, got {other:?}"),
    }
}

fn media_id(content: &Content) -> (&str, Option<&str>, Option<&str>) {
    match content {
        Content::Image(media) | Content::Video(media) | Content::Audio(media) | Content::File(media) => {
            let MediaSource::PlatformId { id } = &media.source else { panic!("inbound media is a media id") };
            (id.as_str(), media.mime_type.as_deref(), media.caption.as_deref())
        }
        other => panic!("expected media, got {other:?}"),
    }
}

#[test]
fn the_fact_sheet_text_message_names_the_number_the_customer_and_the_time() {
    let event = event("text");
    assert_eq!(event.id, "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=");
    assert_eq!(event.account, "106540352242922");
    assert_eq!(event.occurred_at, Timestamp::from_unix_seconds(1_749_416_383));
    let EventKind::Message(message) = event.kind else { panic!("a message") };
    assert_eq!(message.customer.kind, IdentityKind::WhatsappId);
    assert_eq!(message.customer.id, CUSTOMER);
    assert_eq!(message.customer.display_name.as_deref(), Some("Sheena Nelson"));
    assert_eq!(message.direction, Direction::Inbound);
    assert_eq!(message.content, Content::text("Does it come in another color?"));
    assert_eq!(message.reply_to, None);
}

#[test]
fn media_messages_arrive_as_media_ids_with_type_and_caption() {
    let image = message("image");
    assert!(matches!(image.content, Content::Image(_)));
    assert_eq!(
        media_id(&image.content),
        ("1479537139650973", Some("image/jpeg"), Some("This is the scratch on the lid"))
    );
    let video = message("video");
    assert!(matches!(video.content, Content::Video(_)));
    assert_eq!(media_id(&video.content).0, "1166846181421424");
    let audio = message("audio");
    assert!(matches!(audio.content, Content::Audio(_)));
    assert_eq!(media_id(&audio.content), ("2215482298911374", Some("audio/mpeg"), None));
    let voice = message("voice");
    assert!(matches!(voice.content, Content::Audio(_)));
    assert_eq!(media_id(&voice.content).1, Some("audio/ogg; codecs=opus"));
    let document = message("document");
    let Content::File(file) = &document.content else { panic!("a document is a file") };
    assert_eq!(file.file_name.as_deref(), Some("receipt-TH-20931.pdf"));
    assert_eq!(media_id(&document.content), ("1578926442789123", Some("application/pdf"), Some("My receipt")));
}

#[test]
fn a_sticker_keeps_its_media_id() {
    let sticker = message("sticker");
    assert_eq!(sticker.content, Content::Sticker { sticker_id: "793234105998142".into(), package_id: None, url: None });
}

#[test]
fn a_location_keeps_its_name_and_address() {
    let Content::Location { latitude, longitude, name, address } = message("location").content else {
        panic!("a location")
    };
    assert_eq!((latitude, longitude), (37.4611978, -122.2164385));
    assert_eq!(name.as_deref(), Some("Meta HQ"));
    assert_eq!(address.as_deref(), Some("1 Hacker Way, Menlo Park, CA 94025"));
}

#[test]
fn one_shared_contact_is_a_card_and_several_are_kept_whole() {
    assert_eq!(
        message("contacts_single").content,
        Content::ContactCard {
            name: "Chandler Bing".into(),
            phones: vec!["+1 555-555-5555".into()],
            emails: vec!["chandler@example.com".into()],
        }
    );
    let Content::Unsupported { platform_type, raw } = message("contacts_many").content else {
        panic!("several cards are kept as raw JSON")
    };
    assert_eq!(platform_type, "contacts");
    assert_eq!(raw["contacts"][1]["name"]["formatted_name"], "Monica Geller");
}

#[test]
fn button_and_list_replies_are_postbacks_replying_to_the_interactive_message() {
    let button = message("interactive_button_reply");
    assert_eq!(button.content, Content::Postback { title: Some("Yes, solved".into()), payload: "CSAT_YES".into() });
    assert_eq!(button.reply_to.as_deref(), Some("wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI1QkE0RUZGNDg2QkE2M0E3OEYA"));
    let list = message("interactive_list_reply");
    assert_eq!(list.content, Content::Postback { title: Some("Morning".into()), payload: "SLOT_MORNING".into() });
    let template = message("template_button");
    assert_eq!(
        template.content,
        Content::Postback { title: Some("Track my order".into()), payload: "TRACK_TH-20931".into() }
    );
    assert!(template.reply_to.is_some());
}

#[test]
fn a_flow_reply_is_kept_whole_under_its_interactive_type() {
    let Content::Unsupported { platform_type, raw } = message("interactive_nfm_reply").content else {
        panic!("flows are not mapped")
    };
    assert_eq!(platform_type, "interactive.nfm_reply");
    assert_eq!(raw["interactive"]["nfm_reply"]["name"], "flow");
}

#[test]
fn a_reaction_names_the_message_and_an_empty_emoji_removes_it() {
    let event = event("reaction");
    let EventKind::Reaction { customer, message_id, emoji } = event.kind else { panic!("a reaction") };
    assert_eq!(customer.id, CUSTOMER);
    assert_eq!(message_id, "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI1QkE0RUZGNDg2QkE2M0E3OEYA");
    assert_eq!(emoji.as_deref(), Some("👍"));
    let EventKind::Reaction { emoji, .. } = common::event("unreaction").kind else { panic!("a reaction") };
    assert_eq!(emoji, None);
}

#[test]
fn an_order_is_a_message_and_an_order_update_with_the_cart() {
    let events = events("order");
    assert_eq!(events.len(), 2);
    let update = events.iter().find_map(|e| match &e.kind {
        EventKind::OrderUpdate(update) => Some((e.id.as_str(), update)),
        _ => None,
    });
    let (id, update) = update.expect("an order update");
    assert_eq!(id, "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTORD01:order");
    assert_eq!(update.order_id, "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTORD01");
    assert_eq!(update.status, "placed");
    assert_eq!(update.raw["product_items"][0]["product_retailer_id"], "SKU-DESK-120");
    assert_eq!(update.buyer.as_ref().map(|b| b.id.as_str()), Some(CUSTOMER));
    let message = events.iter().find_map(|e| match &e.kind {
        EventKind::Message(message) => Some(message),
        _ => None,
    });
    assert!(
        matches!(message.expect("a message").content, Content::Order { ref order_id, .. } if order_id.ends_with("ORD01"))
    );
}

#[test]
fn an_ad_referral_is_a_message_and_a_referral_event() {
    let events = events("referral");
    assert_eq!(events.len(), 2);
    assert!(
        matches!(&events[0].kind, EventKind::Message(m) if m.content == Content::text("Hi, I saw your ad for the standing desk"))
    );
    assert_eq!(events[1].id, "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTREF01:referral");
    let EventKind::Referral { source, reference, .. } = &events[1].kind else { panic!("a referral") };
    assert_eq!(source, "ad");
    assert_eq!(reference.as_deref(), Some("120208376214560123"));
}

#[test]
fn system_notices_are_kept_under_their_type() {
    for (name, expected) in [
        ("system_number_change", "system.user_changed_number"),
        ("system_identity_change", "system.customer_identity_changed"),
    ] {
        let EventKind::Unsupported { platform_type, raw } = event(name).kind else { panic!("{name}: unsupported") };
        assert_eq!(platform_type, expected);
        assert_eq!(raw["type"], "system");
    }
}

#[test]
fn an_unsupported_message_is_a_message_with_the_raw_json() {
    let Content::Unsupported { platform_type, raw } = message("unsupported").content else { panic!("unsupported") };
    assert_eq!(platform_type, "unsupported");
    assert_eq!(raw["errors"][0]["code"], 131051);
}

#[test]
fn a_reply_names_the_quoted_message() {
    assert_eq!(
        message("reply").reply_to.as_deref(),
        Some("wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJPUklHSU5BTE9VVEJPVU5EAA==")
    );
}

#[test]
fn an_edit_and_a_revoke_apply_to_the_original_message() {
    let event = event("edit");
    assert_eq!(event.id, "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQTEDT01");
    let EventKind::Edit { message_id, content, .. } = event.kind else { panic!("an edit") };
    assert_eq!(message_id, "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=");
    assert_eq!(content, Content::text("Does it come in another colour, like blue?"));
    let EventKind::Unsend { message_id, customer } = common::event("revoke").kind else { panic!("an unsend") };
    assert_eq!(message_id, "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=");
    assert_eq!(customer.id, CUSTOMER);
}

#[test]
fn statuses_are_delivery_updates_keyed_by_message_and_status() {
    for (name, status) in [
        ("status_sent", DeliveryStatus::Sent),
        ("status_delivered", DeliveryStatus::Delivered),
        ("status_read", DeliveryStatus::Read),
        ("status_played", DeliveryStatus::Read),
    ] {
        let event = event(name);
        let suffix = name.trim_start_matches("status_");
        assert_eq!(event.id, format!("wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI1QkE0RUZGNDg2QkE2M0E3OEYA:{suffix}"));
        let EventKind::Delivery(update) = event.kind else { panic!("{name}: a delivery update") };
        assert_eq!(update.status, status, "{name}");
        assert_eq!(update.message_ids, ["wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI1QkE0RUZGNDg2QkE2M0E3OEYA"]);
        assert_eq!(update.customer.map(|c| c.id).as_deref(), Some(CUSTOMER));
    }
}

#[test]
fn a_failed_status_says_why_with_the_error_code() {
    let EventKind::Delivery(update) = event("status_failed").kind else { panic!("a delivery update") };
    let DeliveryStatus::Failed { reason, code, kind } = update.status else { panic!("failed") };
    // Programs branch on the code and the kind, not on the sentence.
    assert_eq!(code.as_deref(), Some("131047"));
    assert_eq!(kind, Some(ErrorKind::MessagingWindowClosed));
    assert_eq!(
        reason,
        "Re-engagement message (131047): Message failed to send because more than 24 hours have passed since the customer last replied to this number."
    );
}

#[test]
fn webhook_errors_are_kept_with_a_stable_id() {
    let event = event("errors");
    assert!(event.id.starts_with("error:106540352242922:"), "{}", event.id);
    assert_eq!(event.id, common::events("errors")[0].id, "the derived id is stable");
    let EventKind::Unsupported { platform_type, raw } = event.kind else { panic!("unsupported") };
    assert_eq!(platform_type, "error");
    assert_eq!(raw["code"], 131000);
    assert_eq!(event.occurred_at, Timestamp::from_unix_seconds(common::NOW), "errors carry no time: the clock's");
}

#[test]
fn an_echo_from_the_business_app_is_an_outbound_message_to_the_customer() {
    let event = event("echo");
    let EventKind::Message(message) = event.kind else { panic!("a message") };
    assert_eq!(message.direction, Direction::Outbound);
    assert_eq!(message.customer.kind, IdentityKind::WhatsappId);
    assert_eq!(message.customer.id, CUSTOMER);
    assert_eq!(message.customer.display_name.as_deref(), Some("Sheena Nelson"));
}

#[test]
fn a_customer_known_only_by_business_scoped_user_id_is_identified_by_it() {
    let message = message("bsuid");
    assert_eq!(message.customer.kind, IdentityKind::BusinessScopedUserId);
    assert_eq!(message.customer.id, "US.13491208655302741918");
    assert_eq!(message.customer.display_name.as_deref(), Some("Kai"));
}

#[test]
fn other_fields_are_kept_under_the_business_account_or_skipped_on_request() {
    let event = event("template_status_update");
    assert_eq!(event.account, "102290129340398", "a WABA-level change is routed by the WABA id");
    let EventKind::Unsupported { platform_type, raw } = event.kind else { panic!("unsupported") };
    assert_eq!(platform_type, "message_template_status_update");
    assert_eq!(raw["event"], "APPROVED");

    let config = unibox_channel_whatsapp::WhatsAppConfig::builder()
        .app_secret(common::APP_SECRET)
        .verify_token(common::VERIFY_TOKEN)
        .skip_other_fields()
        .build()
        .unwrap();
    let channel = unibox_channel_whatsapp::WhatsAppChannel::new(config);
    let request = common::signed(common::APP_SECRET, &common::fixture("template_status_update"));
    assert!(channel.parse(&channel.verify(&request).unwrap()).unwrap().is_empty());
}

#[test]
fn one_batch_carries_many_numbers_and_kinds_each_routed_to_its_number() {
    let events = events("batch");
    let summary: Vec<(&str, &str)> = events.iter().map(|e| (e.account.as_str(), e.kind.name())).collect();
    assert_eq!(
        summary,
        [("106540352242922", "message"), ("106540352242922", "delivery"), ("109876543210987", "message")]
    );
    let EventKind::Message(london) = &events[2].kind else { panic!("a message") };
    assert_eq!(london.customer.display_name.as_deref(), Some("Oliver Smith"));
}

#[test]
fn every_fixture_parses_and_parsing_is_deterministic() {
    for name in common::fixture_names() {
        let first = events(&name);
        assert!(!first.is_empty(), "{name} parsed into no event");
        assert_eq!(first, events(&name), "{name}: parsing twice differs");
    }
}

#[test]
fn one_odd_item_is_kept_whole_and_does_not_spoil_the_rest_of_the_batch() {
    // A location whose latitude is a string: the value cannot be read in one pass, so each
    // item is read on its own.
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],"messages":[{"from":"16505551234","id":"wamid.ODD","timestamp":"1749416383","type":"location","location":{"latitude":"north","longitude":1}},{"from":"16505551234","id":"wamid.GOOD","timestamp":"1749416384","type":"text","text":{"body":"still here"}},{"from":"16505551234","timestamp":"1749416385","type":"text","text":{"body":"no id"}}]}}]}]}"#;
    let channel = common::channel();
    let request = common::signed(common::APP_SECRET, body);
    let events = channel.parse(&channel.verify(&request).unwrap()).unwrap();
    assert_eq!(events.len(), 3);
    assert!(matches!(&events[0].kind, EventKind::Unsupported { platform_type, raw }
        if platform_type == "message.unreadable" && raw["id"] == "wamid.ODD"));
    assert!(matches!(&events[1].kind, EventKind::Message(m) if m.content == Content::text("still here")));
    assert!(events[2].id.starts_with("message:106540352242922:"), "{}", events[2].id);
    let again = channel.parse(&channel.verify(&request).unwrap()).unwrap();
    assert_eq!(events, again, "the derived ids are stable");
}

#[test]
fn a_notification_for_another_product_or_not_json_is_malformed() {
    let channel = common::channel();
    for body in [&br#"{"object":"page","entry":[]}"#[..], b"[1,2]", b"not json", b"{\"entry\":[]}"] {
        let request = common::signed(common::APP_SECRET, body);
        let error = channel.parse(&channel.verify(&request).unwrap()).unwrap_err();
        assert_eq!(error.kind(), unibox_core::ErrorKind::MalformedPayload, "{}", String::from_utf8_lossy(body));
    }
}

#[test]
fn escaped_unicode_as_meta_sends_it_is_decoded() {
    // Meta writes non-ASCII characters as \uXXXX escapes (and signs that form).
    let body = br#"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"\u0e2a\u0e21\u0e0a\u0e32\u0e22"},"wa_id":"66812345678"}],"messages":[{"from":"66812345678","id":"wamid.THAI","timestamp":"1749416383","type":"text","text":{"body":"\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\n\"desk\" \ud83d\udc4d"}}]}}]}]}"#;
    let channel = common::channel();
    let request = common::signed(common::APP_SECRET, body);
    let events = channel.parse(&channel.verify(&request).unwrap()).unwrap();
    let EventKind::Message(message) = &events[0].kind else { panic!("a message") };
    assert_eq!(message.customer.display_name.as_deref(), Some("สมชาย"));
    assert_eq!(message.content, Content::text("สวัสดี\n\"desk\" 👍"));
}

#[test]
fn status_reports_keep_the_conversation_and_pricing_for_billing() {
    let channel = common::channel();
    let request = common::signed(common::APP_SECRET, &common::fixture("status_sent"));
    let reports = channel.status_reports(&channel.verify(&request).unwrap()).unwrap();
    assert_eq!(reports.len(), 1);
    let report = &reports[0];
    assert_eq!(report.account, PHONE_NUMBER_ID);
    assert_eq!(report.message_id, "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI1QkE0RUZGNDg2QkE2M0E3OEYA");
    assert_eq!(report.status, "sent");
    assert_eq!(report.recipient.as_deref(), Some(CUSTOMER));
    assert_eq!(report.callback_data.as_deref(), Some("0193a4f2-7c1e-7b3a-9c55-2f7d1e8a4b10"));
    let conversation = report.conversation.as_ref().expect("a conversation");
    assert_eq!(conversation.origin.as_deref(), Some("service"));
    assert_eq!(conversation.expires_at, Some(Timestamp::from_unix_seconds(1_749_502_800)));
    let pricing = report.pricing.as_ref().expect("pricing");
    assert_eq!(
        (pricing.billable, pricing.model.as_deref(), pricing.category.as_deref()),
        (Some(true), Some("PMP"), Some("service"))
    );
    assert_eq!(report.failure, None);

    let failed = common::signed(common::APP_SECRET, &common::fixture("status_failed"));
    let reports = channel.status_reports(&channel.verify(&failed).unwrap()).unwrap();
    assert!(reports[0].failure.as_deref().unwrap().starts_with("Re-engagement message (131047)"));
    let batch = common::signed(common::APP_SECRET, &common::fixture("batch"));
    assert_eq!(channel.status_reports(&channel.verify(&batch).unwrap()).unwrap().len(), 1);
}
