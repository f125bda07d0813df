//! Instagram webhook events, signed with the Instagram app secret, verified and parsed.

mod common;

use serde_json::json;
use unibox_core::{Channel, Content, DeliveryStatus, Direction, ErrorKind, EventKind, IdentityKind, InboundEvent};

use common::{IG_ID, IGSID, envelope, signed};

fn parse(body: &[u8]) -> Vec<InboundEvent> {
    let channel = common::channel();
    let request = signed(body);
    let verified = channel.verify(&request).expect("verifies");
    channel.parse(&verified).expect("parses")
}

fn only(body: &[u8]) -> InboundEvent {
    let mut events = parse(body);
    assert_eq!(events.len(), 1, "{events:?}");
    events.remove(0)
}

fn content(event: &InboundEvent) -> &Content {
    match &event.kind {
        EventKind::Message(message) => &message.content,
        other => panic!("expected a message, got {other:?}"),
    }
}

#[test]
fn the_fact_sheet_text_message_comes_from_an_instagram_scoped_customer() {
    let event = only(common::TEXT.as_bytes());
    assert_eq!(event.account, IG_ID);
    let EventKind::Message(message) = &event.kind else { panic!("{event:?}") };
    assert_eq!(message.customer.kind, IdentityKind::InstagramScopedId);
    assert_eq!(message.customer.id, IGSID);
    assert_eq!(message.content, Content::text("ยังมีไซส์ M สีแดงไหมคะ"));
    assert_eq!(message.message_id, event.id);
}

#[test]
fn seen_receipts_echoes_and_comments() {
    let events = parse(common::MIXED.as_bytes());
    assert_eq!(events.len(), 3);
    assert!(
        matches!(&events[0].kind, EventKind::Delivery(u) if u.status == DeliveryStatus::Read && u.message_ids.len() == 1)
    );
    let EventKind::Message(echo) = &events[1].kind else { panic!("{:?}", events[1]) };
    assert_eq!((echo.direction, echo.customer.id.as_str()), (Direction::Outbound, IGSID));
    assert!(
        matches!(&events[2].kind, EventKind::Unsupported { platform_type, raw } if platform_type == "comments" && raw["text"] == "ราคาเท่าไหร่คะ")
    );
}

#[test]
fn instagram_attachments_reels_shares_and_story_mentions() {
    let reel = only(&envelope(json!({"message": {"mid": "ig_m_1", "attachments": [
        {"type": "ig_reel", "payload": {"reel_video_id": "18256412345", "title": "Unboxing", "url": "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=18256412345"}}]}})));
    assert!(matches!(content(&reel), Content::Video(media) if media.caption.as_deref() == Some("Unboxing")));
    for kind in ["share", "story_mention", "ig_post"] {
        let event = only(&envelope(json!({"message": {"mid": "ig_m_2", "attachments": [
            {"type": kind, "payload": {"url": "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1"}}]}})));
        assert!(matches!(content(&event), Content::Unsupported { platform_type, .. } if platform_type == kind));
    }
    let image = only(&envelope(json!({"message": {"mid": "ig_m_3", "attachments": [
        {"type": "image", "payload": {"url": "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=2"}}]}})));
    assert_eq!(content(&image).kind().as_str(), "image");
    let gif = only(&envelope(json!({"message": {"mid": "ig_m_4", "is_unsupported": true}})));
    assert!(matches!(content(&gif), Content::Unsupported { platform_type, .. } if platform_type == "unsupported"));
}

#[test]
fn reactions_postbacks_referrals_and_unsends() {
    let reaction =
        only(&envelope(json!({"reaction": {"mid": "ig_out_1", "action": "react", "reaction": "love", "emoji": "❤"}})));
    assert!(matches!(&reaction.kind, EventKind::Reaction { emoji: Some(e), .. } if e == "❤"));
    let icebreaker =
        only(&envelope(json!({"postback": {"mid": "ig_pb_1", "title": "Track my order", "payload": "TRACK"}})));
    assert!(matches!(&icebreaker.kind, EventKind::Postback { payload, .. } if payload == "TRACK"));
    let referral = only(&envelope(json!({"referral": {"ref": "bio-link", "source": "IGME", "type": "OPEN_THREAD"}})));
    assert!(matches!(&referral.kind, EventKind::Referral { source, .. } if source == "IGME"));
    let unsend = only(&envelope(json!({"message": {"mid": "ig_m_9", "is_deleted": true}})));
    assert!(matches!(&unsend.kind, EventKind::Unsend { message_id, .. } if message_id == "ig_m_9"));
}

#[test]
fn a_messenger_notification_is_not_an_instagram_one() {
    let channel = common::channel();
    let request = signed(br#"{"object":"page","entry":[]}"#);
    let verified = channel.verify(&request).unwrap();
    assert_eq!(channel.parse(&verified).unwrap_err().kind(), ErrorKind::MalformedPayload);
    let forged = common::signed_with(common::OTHER_SECRET, common::TEXT.as_bytes());
    assert_eq!(channel.verify(&forged).unwrap_err().kind(), ErrorKind::SignatureInvalid);
}
