//! An Instagram (or Messenger) channel configured with a Meta catalog lists its products from a
//! loopback fake of the Graph API (`GET /{catalog-id}/products`, Bearer token checked); one
//! without a catalog offers no product source.

use std::sync::Arc;

use serde_json::json;
use unibox_channel_meta::AppSecret;
use unibox_channel_meta::catalog::MetaCatalogs;
use unibox_channel_meta::messaging::{MessagingChannel, MessagingPlatform};
use unibox_core::{Channel, ChannelAccount, ChannelKind, Timestamp};
use unibox_testkit::http::{FakeServer, ScriptedResponse};

const TOKEN: &str = "EAAGinstagramPageTokenForTests";
const IG_ACCOUNT: &str = "17841405822304914";
const CATALOG: &str = "354160437058781";

fn channel(graph: &FakeServer, catalogs: MetaCatalogs) -> MessagingChannel {
    MessagingChannel::builder(MessagingPlatform::instagram())
        .app_secret(AppSecret::new("instagram-app-secret"))
        .verify_token("meatyhamhock")
        .http_client(Arc::new(unibox_core::http::ReqwestClient::new()))
        .graph_base_url(graph.url())
        .catalogs(catalogs)
        .build()
        .unwrap()
}

#[tokio::test]
async fn an_instagram_accounts_catalog_lists_its_products() {
    let graph = FakeServer::start().await.unwrap();
    graph.respond_with(|request| {
        if request.header("authorization") != Some(format!("Bearer {TOKEN}").as_str()) {
            return ScriptedResponse::json(
                401,
                &json!({"error": {"message": "Invalid OAuth access token.", "code": 190}}),
            );
        }
        assert_eq!(request.path(), format!("/v23.0/{CATALOG}/products"));
        ScriptedResponse::json(
            200,
            &json!({"data": [{"id": "7013514192013001", "retailer_id": "SCARF-RED", "name": "Thai silk scarf",
                "price": "฿1,200.00", "currency": "THB", "image_url": "https://scontent.xx.fbcdn.net/scarf.jpg",
                "url": "https://shop.example.com/scarf", "availability": "in stock", "inventory": 12}],
                "paging": {"cursors": {"before": "QVFI", "after": "QVFJ"}}}),
        )
    });
    assert!(channel(&graph, MetaCatalogs::new()).catalog().is_none(), "no catalog configured");
    let channel = channel(&graph, MetaCatalogs::new().with(IG_ACCOUNT, CATALOG));
    let account = ChannelAccount::new(
        "acme".parse().unwrap(),
        "acme-instagram".parse().unwrap(),
        ChannelKind::INSTAGRAM,
        IG_ACCOUNT,
        Timestamp::from_unix_seconds(1_732_000_000),
    );
    let token = secrecy::SecretString::from(TOKEN);
    let page = channel.catalog().unwrap().list_products(&account, Some(&token), None).await.unwrap();
    assert!(page.next.is_none(), "no `next`: the last page");
    assert_eq!(page.products.len(), 1);
    let scarf = &page.products[0];
    assert_eq!((scarf.product_id.as_str(), scarf.title.as_str()), ("SCARF-RED", "Thai silk scarf"));
    assert_eq!(
        (scarf.price.as_deref(), scarf.currency.as_deref(), scarf.stock),
        (Some("1200.00"), Some("THB"), Some(12))
    );
    assert_eq!(scarf.tenant, account.tenant);
}
