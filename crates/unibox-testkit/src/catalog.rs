//! The [`CatalogStore`] conformance suite: replacing products, search, tenant isolation.
//!
//! Every check uses fresh tenants, so all of them can share one store. [`run_all`] runs them
//! and panics naming each check that failed.
//!
//! ```
//! use unibox_core::memory::MemoryCatalog;
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! unibox_testkit::catalog::run_all(&MemoryCatalog::new()).await;
//! # });
//! ```

use unibox_core::catalog::{CatalogStore, Product};
use unibox_core::{ChannelAccountId, TenantId};

use crate::fixtures;
use crate::inbox::BoxFuture;
use crate::inbox::support::{catch_panic, ok};

fn tenant() -> TenantId {
    let unique = ChannelAccountId::new().to_string().replace('-', "");
    fixtures::tenant(&format!("catalog-{}", &unique[20..]))
}

fn product(tenant: &TenantId, account: ChannelAccountId, id: &str, title: &str) -> Product {
    Product::new(tenant.clone(), account, id, title, fixtures::at(0))
}

/// Saving a product again replaces it; search finds every term in any case, in any script,
/// sorted by title, limited.
pub async fn search_finds_every_term_and_saving_replaces(store: &dyn CatalogStore) {
    let tenant = tenant();
    let shop = ChannelAccountId::new();
    let products = [
        product(&tenant, shop, "3000120034", "Thai Silk Scarf (red)").with_price("450.00", "THB").with_stock(12),
        product(&tenant, shop, "3000120035", "Thai silk scarf (blue)"),
        product(&tenant, shop, "3000120036", "Cotton tote bag"),
        product(&tenant, shop, "3000120037", "ผ้าไหมไทย สีแดง"),
    ];
    ok(store.save_products(&products).await, "save");
    let found = ok(store.search_products(&tenant, "silk SCARF", 10).await, "search");
    let titles: Vec<&str> = found.iter().map(|p| p.title.as_str()).collect();
    assert_eq!(titles, ["Thai Silk Scarf (red)", "Thai silk scarf (blue)"]);
    assert_eq!(found[0].price.as_deref(), Some("450.00"));
    assert_eq!(found[0].stock, Some(12));
    assert_eq!(ok(store.search_products(&tenant, "ไหม", 10).await, "thai").len(), 1);
    assert_eq!(ok(store.search_products(&tenant, "3000120036", 10).await, "by id").len(), 1);
    assert_eq!(ok(store.search_products(&tenant, "scarf", 1).await, "limited").len(), 1);
    assert!(ok(store.search_products(&tenant, "   ", 10).await, "empty query").is_empty());

    let renamed = product(&tenant, shop, "3000120036", "Cotton tote bag XL").with_stock(0);
    ok(store.save_products(std::slice::from_ref(&renamed)).await, "save again");
    assert_eq!(ok(store.product(&tenant, shop, "3000120036").await, "product"), Some(renamed));
    assert_eq!(ok(store.search_products(&tenant, "tote", 10).await, "tote").len(), 1, "replaced, not added");
}

/// Another tenant neither finds nor reads a product.
pub async fn products_are_per_tenant(store: &dyn CatalogStore) {
    let (acme, globex) = (tenant(), tenant());
    let shop = ChannelAccountId::new();
    ok(store.save_products(&[product(&acme, shop, "1", "Thai silk scarf")]).await, "acme");
    assert!(ok(store.search_products(&globex, "silk", 10).await, "globex search").is_empty());
    assert_eq!(ok(store.product(&globex, shop, "1").await, "globex read"), None);
    ok(store.save_products(&[product(&globex, shop, "1", "Globex scarf")]).await, "globex");
    let acme_product = ok(store.product(&acme, shop, "1").await, "acme read").expect("stored");
    assert_eq!(acme_product.title, "Thai silk scarf", "globex's save did not touch acme's product");
}

/// A product without an id is refused, and nothing of its batch is stored.
pub async fn a_product_without_id_is_refused(store: &dyn CatalogStore) {
    let tenant = tenant();
    let shop = ChannelAccountId::new();
    let batch = [product(&tenant, shop, "9", "Good"), product(&tenant, shop, "", "No id")];
    let error = store.save_products(&batch).await.expect_err("refused");
    assert_eq!(error.kind(), unibox_core::ErrorKind::InvalidInput);
    assert_eq!(ok(store.product(&tenant, shop, "9").await, "read"), None, "all or none");
}

type Check = for<'a> fn(&'a dyn CatalogStore) -> BoxFuture<'a, ()>;

const CHECKS: &[(&str, Check)] = &[
    ("search_finds_every_term_and_saving_replaces", |s| Box::pin(search_finds_every_term_and_saving_replaces(s))),
    ("products_are_per_tenant", |s| Box::pin(products_are_per_tenant(s))),
    ("a_product_without_id_is_refused", |s| Box::pin(a_product_without_id_is_refused(s))),
];

/// Runs every check against `store` and panics with the name and message of each that failed.
pub async fn run_all(store: &dyn CatalogStore) {
    let mut failures = Vec::new();
    for (name, check) in CHECKS {
        if let Err(message) = catch_panic(check(store)).await {
            failures.push(format!("{name}: {message}"));
        }
    }
    if !failures.is_empty() {
        panic!(
            "catalog conformance: {} of {} checks failed:\n- {}",
            failures.len(),
            CHECKS.len(),
            failures.join("\n- ")
        );
    }
}
