//! A product from the catalog goes out on Messenger and Instagram as the product template:
//! the retailer id unibox's catalog keeps is looked up in the account's Meta catalog
//! (`GET /{catalog-id}/products?filter=…`) and the template names Meta's product id. A loopback
//! fake of the Graph API checks the exact JSON body; an account without a catalog is refused
//! with `Unsupported` before any call.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use unibox_channel_meta::AppSecret;
use unibox_channel_meta::catalog::MetaCatalogs;
use unibox_channel_meta::messaging::{MessagingChannel, MessagingPlatform};
use unibox_core::channel::SendRequest;
use unibox_core::{
    Channel, ChannelAccount, ChannelKind, ContactIdentity, Content, ContentKind, ErrorKind, IdentityKind, MessageId,
    Timestamp,
};
use unibox_testkit::http::{FakeServer, ScriptedResponse};

const TOKEN: &str = "EAAGpageTokenForProductTests";
const CATALOG: &str = "354160437058781";
const META_PRODUCT_ID: &str = "7013514192013117";
const RETAILER_ID: &str = "SKU-DESK-117";

fn channel(platform: MessagingPlatform, graph: &FakeServer, catalogs: MetaCatalogs) -> MessagingChannel {
    MessagingChannel::builder(platform)
        .app_secret(AppSecret::new("meta-app-secret"))
        .verify_token("meatyhamhock")
        .http_client(Arc::new(unibox_core::http::ReqwestClient::new()))
        .graph_base_url(graph.url())
        .catalogs(catalogs)
        .build()
        .unwrap()
}

/// The catalog lookup by retailer id, and the Send API checking the exact body.
fn serve(graph: &FakeServer, account: &'static str, recipient: &'static str) {
    graph.respond_with(move |request| {
        if request.header("authorization") != Some(format!("Bearer {TOKEN}").as_str()) {
            return ScriptedResponse::json(
                401,
                &json!({"error": {"message": "Invalid OAuth access token.", "code": 190}}),
            );
        }
        let query: std::collections::HashMap<String, String> =
            url::form_urlencoded::parse(request.query().unwrap_or("").as_bytes()).into_owned().collect();
        if request.path() == format!("/v23.0/{CATALOG}/products") {
            let filter: serde_json::Value =
                query.get("filter").and_then(|f| serde_json::from_str(f).ok()).unwrap_or_default();
            let data = if filter == json!({"retailer_id": {"eq": RETAILER_ID}})
                && query.get("fields").map(String::as_str) == Some("id,retailer_id")
            {
                json!([{"id": META_PRODUCT_ID, "retailer_id": RETAILER_ID}])
            } else {
                json!([])
            };
            return ScriptedResponse::json(200, &json!({"data": data}));
        }
        if request.path() == format!("/v23.0/{account}/messages") {
            let expected = json!({
                "recipient": {"id": recipient},
                "messaging_type": "RESPONSE",
                "message": {"attachment": {"type": "template", "payload": {
                    "template_type": "product", "elements": [{"id": META_PRODUCT_ID}]}}}
            });
            if request.json().ok() != Some(expected) {
                return ScriptedResponse::json(
                    400,
                    &json!({"error": {"message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100}}),
                );
            }
            return ScriptedResponse::json(200, &json!({"recipient_id": recipient, "message_id": "m_product_1"}));
        }
        ScriptedResponse::json(404, &json!({"error": {"message": "Unknown path", "code": 100}}))
    });
}

async fn sends_the_product_template(
    platform: MessagingPlatform,
    kind: ChannelKind,
    account_id: &'static str,
    customer: &'static str,
    identity: IdentityKind,
) {
    let graph = FakeServer::start().await.unwrap();
    serve(&graph, account_id, customer);
    let account = ChannelAccount::new(
        "acme".parse().unwrap(),
        "acme-meta".parse().unwrap(),
        kind,
        account_id,
        Timestamp::from_unix_seconds(1_732_000_000),
    );
    let recipient = ContactIdentity { account: account.id, kind: identity, value: customer.into() };
    let token = secrecy::SecretString::from(TOKEN);
    let product =
        Content::Product { product_id: RETAILER_ID.into(), name: Some("Standing desk 117".into()), url: None };
    let request = SendRequest::new(&account, &recipient, &product, MessageId::new())
        .with_access_token(Some(&token))
        .with_since_customer_message(Some(Duration::from_secs(600)));

    let with = channel(platform.clone(), &graph, MetaCatalogs::new().with(account_id, CATALOG));
    assert!(with.capabilities().send.contains(ContentKind::Product));
    let receipt = with.send(&request).await.unwrap();
    assert_eq!(receipt.platform_message_id, "m_product_1");
    assert_eq!(graph.request_count(), 2, "the lookup, then the send");

    // A product the catalog does not have: NotFound, nothing sent.
    let unknown = Content::Product { product_id: "SKU-GONE".into(), name: None, url: None };
    let request_unknown = SendRequest::new(&account, &recipient, &unknown, MessageId::new())
        .with_access_token(Some(&token))
        .with_since_customer_message(Some(Duration::from_secs(600)));
    assert_eq!(with.send(&request_unknown).await.unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(graph.request_count(), 3, "only the lookup");

    // No catalog for this account: Unsupported, no call at all.
    let without = channel(platform, &graph, MetaCatalogs::new().with("999999", CATALOG));
    let refused = without.send(&request).await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::Unsupported);
    assert!(refused.to_string().contains("catalog"), "{refused}");
    let none = channel(MessagingPlatform::messenger(), &graph, MetaCatalogs::new());
    assert!(!none.capabilities().send.contains(ContentKind::Product));
    assert_eq!(graph.request_count(), 3, "refused before any call");
}

#[tokio::test]
async fn messenger_sends_a_catalog_product_as_the_product_template() {
    sends_the_product_template(
        MessagingPlatform::messenger(),
        ChannelKind::MESSENGER,
        "106540352242922",
        "6143820751234567",
        IdentityKind::PageScopedId,
    )
    .await;
}

#[tokio::test]
async fn instagram_sends_a_catalog_product_as_the_product_template() {
    sends_the_product_template(
        MessagingPlatform::instagram(),
        ChannelKind::INSTAGRAM,
        "17841405822304914",
        "1254459154682919",
        IdentityKind::InstagramScopedId,
    )
    .await;
}
