//! Every push type, from the fact sheet's official samples and realistic ones of our own, to
//! unified events; stable ids on redelivery; the expiry warning recorded for renewal.

mod common;

use unibox_core::{Channel, Content, Direction, ErrorKind, EventKind, IdentityKind, MediaSource, Timestamp};

use common::{SELLER, SESSION, event};

fn message(name: &str) -> unibox_core::InboundMessage {
    match event(name).kind {
        EventKind::Message(message) => message,
        other => panic!("{name} is not a message: {other:?}"),
    }
}

#[test]
fn the_official_im_push_is_a_buyer_text_in_the_session() {
    let event = event("im_text");
    assert_eq!((event.id.as_str(), event.account.as_str()), ("im:1zYOS7N0cuIqw96026", SELLER));
    assert_eq!(event.occurred_at, Timestamp::from_unix_millis(1_596_550_789_323));
    let EventKind::Message(message) = event.kind else { panic!("a message") };
    assert_eq!(message.content, Content::text("hello world!"));
    assert_eq!(message.direction, Direction::Inbound);
    assert_eq!(message.customer.kind, IdentityKind::Other(unibox_channel_lazada::SESSION_IDENTITY.into()));
    assert_eq!(message.customer.id, SESSION);
}

#[test]
fn every_message_template_is_decoded_from_its_json_string() {
    let Content::Image(image) = message("im_image").content else { panic!("an image") };
    assert!(
        matches!(image.source, MediaSource::Url { url } if url.as_str().ends_with("5f3c2a1b9e8d7c6b5a4f3e2d1c0b9a8f.jpg"))
    );
    assert!(
        matches!(message("im_emoji").content, Content::Sticker { sticker_id, url: Some(_), .. } if sticker_id == "[happy]")
    );
    let Content::Video(video) = message("im_video").content else { panic!("a video") };
    assert!(matches!(video.source, MediaSource::Url { url } if url.as_str().ends_with("30018852741.mp4")));
    assert_eq!(
        message("im_item").content,
        Content::Product {
            product_id: "2736412345".into(),
            name: Some("Electric standing desk 140x70 cm, oak".into()),
            url: Some("https://www.lazada.co.th/products/i2736412345.html".parse().unwrap()),
        }
    );
    assert_eq!(
        message("im_order").content,
        Content::Order { order_id: "260422900198363".into(), status: Some("shipped".into()) }
    );
    // Templates unibox has no mapping for are kept whole, decoded.
    let Content::Unsupported { platform_type, raw } = message("im_voucher").content else { panic!("kept") };
    assert_eq!(platform_type, "lazada.template.10008");
    assert_eq!(raw["voucherId"], "900123");
    let Content::Unsupported { platform_type, .. } = message("im_system").content else { panic!("kept") };
    assert_eq!(platform_type, "lazada.template.2");
}

#[test]
fn the_sellers_own_messages_are_echoes_and_a_recall_is_an_unsend() {
    let echo = message("im_seller_echo");
    assert_eq!(echo.direction, Direction::Outbound);
    assert_eq!(echo.customer.id, SESSION);
    let recalled = event("im_recalled");
    assert_eq!(recalled.id, "im:2zYOS7N0cuIqw96911:recalled");
    assert!(matches!(recalled.kind, EventKind::Unsend { message_id, .. } if message_id == "2zYOS7N0cuIqw96911"));
}

#[test]
fn order_return_package_and_reverse_pushes_are_order_updates() {
    let order = event("trade_order");
    assert_eq!(order.account, "1234567");
    assert_eq!(order.id, "order:260422900198363:260422900298363:unpaid:1603698638");
    assert_eq!(order.occurred_at, Timestamp::from_unix_seconds(1_603_698_638));
    let EventKind::OrderUpdate(update) = order.kind else { panic!("an order update") };
    assert_eq!((update.order_id.as_str(), update.status.as_str()), ("260422900198363", "unpaid"));
    assert_eq!(update.raw["trade_order_line_id"], "260422900298363");

    let returned = event("trade_order_returned");
    assert!(
        matches!(returned.kind, EventKind::OrderUpdate(u) if u.status == "returned" && u.order_id == "252883361348153")
    );

    // The tracking push: a package's logistics status, naming the buyer.
    let package = event("fulfillment_package");
    assert_eq!(package.account, "100056775");
    let EventKind::OrderUpdate(update) = package.kind else { panic!("an order update") };
    assert_eq!((update.order_id.as_str(), update.status.as_str()), ("57244869716603", "DELIVERED"));
    let buyer = update.buyer.expect("the buyer");
    assert_eq!((buyer.kind, buyer.id.as_str()), (IdentityKind::MarketplaceBuyerId, "1001916603"));

    let reverse = event("reverse_order");
    assert!(matches!(reverse.kind, EventKind::OrderUpdate(u) if u.status == "REQUEST_INITIATE"));
}

#[test]
fn the_expiry_warning_names_the_seller_from_its_data_and_is_recorded_for_renewal() {
    let channel = common::channel();
    let events = common::events_of(&channel, &common::fixture("authorization_expiry"));
    assert_eq!(events[0].account, "1000165972", "the envelope says \"null\"; the data names the seller");
    assert_eq!(events[0].id, "authorization-expiry:1000165972:1627542238");
    assert!(
        matches!(&events[0].kind, EventKind::Unsupported { platform_type, .. } if platform_type == "lazada.authorization_expiring")
    );
    let alerts = channel.expiry_alerts().take();
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].platform_account_id, "1000165972");
    assert_eq!(alerts[0].expires_at, Timestamp::from_unix_seconds(1_627_542_238));
}

#[test]
fn other_pushes_are_kept_whole_under_a_stable_id() {
    for (name, kind) in
        [("session_update", "lazada.session_update"), ("seller_status", "lazada.13"), ("product_update", "lazada.3")]
    {
        let first = event(name);
        assert_eq!(first.id, event(name).id, "{name}: a redelivery has the same id");
        assert!(
            matches!(&first.kind, EventKind::Unsupported { platform_type, raw } if platform_type == kind && !raw.is_null()),
            "{name}"
        );
    }
}

#[test]
fn every_redelivered_fixture_gets_the_same_ids() {
    for name in common::fixture_names() {
        let body = common::fixture(&name);
        let first = common::events_of(&common::channel(), &body);
        let again = common::events_of(&common::channel(), &body);
        assert_eq!(first, again, "{name}");
        assert!(first.iter().all(|e| !e.id.is_empty() && !e.account.is_empty()), "{name}");
    }
}

#[test]
fn pushes_without_a_type_or_a_seller_are_malformed() {
    let channel = common::channel();
    for body in [
        &br#"{"seller_id":"1","data":{}}"#[..],
        br#"{"message_type":0,"data":{"order_status":"unpaid","trade_order_id":"1"}}"#,
        br#"[1,2]"#,
        b"\xff\xfe",
    ] {
        let request = common::signed(body);
        let error = channel.parse(&channel.verify(&request).unwrap()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::MalformedPayload);
    }
}
