//! Search details specific to the trigram index: short terms, scripts, query syntax.

use unibox_core::TenantId;
use unibox_core::inbox::prelude::*;
use unibox_core::inbox::{MAX_PAGE_SIZE, SearchQuery};
use unibox_store_sqlite::SqliteInbox;
use unibox_testkit::fixtures::{self, AccountEvents, THAI_ORDER_TEXT, at};

const JAPANESE: &str = "注文した商品がまだ届きません。追跡番号を教えてください";
const CHINESE: &str = "请问这件衣服有XL号吗？";
const ENGLISH: &str = "Can I pay by QR? Need it by Friday (order #A-17)";
const FRENCH: &str = "ÉCOLE fermée, livraison à 18h";

async fn inbox_with_messages() -> (SqliteInbox, TenantId) {
    let inbox = SqliteInbox::open_in_memory().await.unwrap();
    let tenant = fixtures::tenant("acme");
    let account = fixtures::line_account(&tenant);
    inbox.save_account(&account).await.unwrap();
    let events = AccountEvents::new(&account);
    let customer = fixtures::line_user();
    let texts = [THAI_ORDER_TEXT, JAPANESE, CHINESE, ENGLISH, FRENCH];
    let batch = texts
        .iter()
        .enumerate()
        .map(|(n, text)| events.text(&format!("e-{n}"), &customer, &format!("m-{n}"), text, at(n as i64)))
        .collect();
    inbox.ingest(batch).await.unwrap();
    (inbox, tenant)
}

async fn texts(inbox: &SqliteInbox, tenant: &TenantId, query: &str) -> Vec<String> {
    let page = inbox.search(tenant, &SearchQuery::new(query).limit(MAX_PAGE_SIZE)).await.unwrap();
    page.items.iter().map(|m| m.content.searchable_text().unwrap_or_default().into_owned()).collect()
}

#[tokio::test]
async fn terms_shorter_than_three_characters_are_found_by_scanning() {
    let (inbox, tenant) = inbox_with_messages().await;
    assert_eq!(texts(&inbox, &tenant, "qr").await, vec![ENGLISH], "two letters, any case");
    assert_eq!(texts(&inbox, &tenant, "xl").await, vec![CHINESE]);
    assert_eq!(texts(&inbox, &tenant, "商品").await, vec![JAPANESE], "two CJK characters");
    assert_eq!(texts(&inbox, &tenant, "M").await, vec![FRENCH, THAI_ORDER_TEXT], "one letter, newest first");
    assert_eq!(texts(&inbox, &tenant, "é").await, vec![FRENCH], "case folding beyond ASCII");
    assert!(texts(&inbox, &tenant, "zz").await.is_empty());
}

#[tokio::test]
async fn short_and_long_terms_combine() {
    let (inbox, tenant) = inbox_with_messages().await;
    assert_eq!(texts(&inbox, &tenant, "friday QR").await, vec![ENGLISH]);
    assert_eq!(texts(&inbox, &tenant, "école 18").await, vec![FRENCH], "accented capitals fold like Rust's lowercase");
    assert!(texts(&inbox, &tenant, "friday xl").await.is_empty(), "both terms must occur in one message");
}

#[tokio::test]
async fn cjk_substrings_are_found_without_word_breaking() {
    let (inbox, tenant) = inbox_with_messages().await;
    assert_eq!(texts(&inbox, &tenant, "追跡番号").await, vec![JAPANESE]);
    assert_eq!(texts(&inbox, &tenant, "衣服有").await, vec![CHINESE]);
    assert_eq!(texts(&inbox, &tenant, "สีแดง").await, vec![THAI_ORDER_TEXT]);
}

#[tokio::test]
async fn query_syntax_characters_are_searched_literally() {
    let (inbox, tenant) = inbox_with_messages().await;
    assert_eq!(texts(&inbox, &tenant, "(order #A-17)").await, vec![ENGLISH]);
    assert_eq!(texts(&inbox, &tenant, "QR?").await, vec![ENGLISH]);
    for hostile in ["\"", "\"\"\"", "NEAR(a b)", "order*", "text:order", "-order", "AND OR NOT", "^order", "{a b}"] {
        let result = inbox.search(&tenant, &SearchQuery::new(hostile)).await;
        assert!(result.is_ok(), "{hostile:?} must be searched as text, got {result:?}");
    }
    assert!(texts(&inbox, &tenant, "order*").await.is_empty(), "a star is not a wildcard");
}
