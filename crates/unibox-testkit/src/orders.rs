//! The [`OrderStore`] conformance suite: merges, tenant isolation, orders of a buyer.
//!
//! Every check uses fresh tenants, so all of them can share one store. [`run_all`] runs them
//! and panics naming each check that failed.
//!
//! ```
//! use unibox_core::memory::MemoryOrderStore;
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! unibox_testkit::orders::run_all(&MemoryOrderStore::new()).await;
//! # });
//! ```

use unibox_core::orders::{Order, OrderChange, OrderItem, OrderStore};
use unibox_core::{ChannelAccountId, ContactIdentity, IdentityKind, PlatformUser, TenantId};

use crate::fixtures;
use crate::inbox::BoxFuture;
use crate::inbox::support::{catch_panic, ok};

fn tenant() -> TenantId {
    let unique = ChannelAccountId::new().to_string().replace('-', "");
    fixtures::tenant(&format!("orders-{}", &unique[20..]))
}

fn buyer(id: &str) -> PlatformUser {
    PlatformUser::new(IdentityKind::MarketplaceBuyerId, id)
}

fn pushed(tenant: &TenantId, account: ChannelAccountId, status: &str, seconds: i64) -> Order {
    Order::new(tenant.clone(), account, "220810QSK8S7BX", status, fixtures::at(seconds))
        .with_change(OrderChange::status(format!("order:220810QSK8S7BX:{status}"), status, fixtures::at(seconds)))
}

/// A push, the same push again, an older push and a fetch, in that order, leave one order
/// with the newest status, the fetched details and each change once.
pub async fn merges_are_idempotent_and_keep_the_newest_status(store: &dyn OrderStore) {
    let tenant = tenant();
    let account = ChannelAccountId::new();
    ok(store.merge_order(pushed(&tenant, account, "SHIPPED", 20)).await, "first push");
    ok(store.merge_order(pushed(&tenant, account, "SHIPPED", 20)).await, "redelivered push");
    ok(store.merge_order(pushed(&tenant, account, "READY_TO_SHIP", 10)).await, "an older push, late");
    let fetched = Order::new(tenant.clone(), account, "220810QSK8S7BX", "SHIPPED", fixtures::at(15))
        .with_buyer(buyer("165105353"))
        .with_item(OrderItem::new("Thai silk scarf", 2).with_unit_price("450.00"))
        .with_total("900.00", "THB")
        .with_tracking_number("SPXTH0123");
    let stored = ok(store.merge_order(fetched).await, "fetch");
    assert_eq!(stored.status, "SHIPPED", "the newest status stays");
    assert_eq!(stored.items.len(), 1);
    assert_eq!((stored.total.as_deref(), stored.currency.as_deref()), (Some("900.00"), Some("THB")));
    assert_eq!(stored.tracking_number.as_deref(), Some("SPXTH0123"));
    let events: Vec<&str> = stored.history.iter().map(|c| c.event_id.as_str()).collect();
    assert_eq!(events, ["order:220810QSK8S7BX:READY_TO_SHIP", "order:220810QSK8S7BX:SHIPPED"]);
    let read = ok(store.order(&tenant, account, "220810QSK8S7BX").await, "order").expect("stored");
    assert_eq!(read, stored, "what merge returns is what is stored");
}

/// Another tenant neither reads nor changes an order, even with the same account and order id.
pub async fn orders_are_per_tenant(store: &dyn OrderStore) {
    let (acme, globex) = (tenant(), tenant());
    let account = ChannelAccountId::new();
    ok(store.merge_order(pushed(&acme, account, "UNPAID", 0).with_buyer(buyer("42"))).await, "acme");
    assert_eq!(ok(store.order(&globex, account, "220810QSK8S7BX").await, "globex reads"), None);
    let identity = ContactIdentity { account, kind: IdentityKind::MarketplaceBuyerId, value: "42".into() };
    assert!(ok(store.orders_of_buyers(&globex, std::slice::from_ref(&identity), 10).await, "globex lists").is_empty());
    ok(store.merge_order(pushed(&globex, account, "CANCELLED", 5)).await, "globex writes its own");
    let acme_order = ok(store.order(&acme, account, "220810QSK8S7BX").await, "acme reads").expect("stored");
    assert_eq!(acme_order.status, "UNPAID", "globex's write did not touch acme's order");
    assert_eq!(ok(store.orders_of_buyers(&acme, &[identity], 10).await, "acme lists").len(), 1);
}

/// Orders of buyers: every identity given, newest first, limited; other buyers and accounts
/// are left out.
pub async fn orders_of_buyers_follow_identities(store: &dyn OrderStore) {
    let tenant = tenant();
    let (shop, other_shop) = (ChannelAccountId::new(), ChannelAccountId::new());
    let whatsapp = ChannelAccountId::new();
    let wa_buyer = PlatformUser::new(IdentityKind::PhoneNumber, "66812345678");
    let orders = [
        Order::new(tenant.clone(), shop, "A1", "COMPLETED", fixtures::at(1)).with_buyer(buyer("7")),
        Order::new(tenant.clone(), shop, "A2", "SHIPPED", fixtures::at(3)).with_buyer(buyer("7")),
        Order::new(tenant.clone(), shop, "B1", "SHIPPED", fixtures::at(4)).with_buyer(buyer("8")),
        Order::new(tenant.clone(), other_shop, "C1", "SHIPPED", fixtures::at(5)).with_buyer(buyer("7")),
        Order::new(tenant.clone(), whatsapp, "wamid.X", "placed", fixtures::at(2)).with_buyer(wa_buyer.clone()),
        Order::new(tenant.clone(), shop, "D1", "UNPAID", fixtures::at(6)),
    ];
    for order in orders {
        ok(store.merge_order(order).await, "merge");
    }
    let identities = [
        ContactIdentity { account: shop, kind: IdentityKind::MarketplaceBuyerId, value: "7".into() },
        ContactIdentity { account: whatsapp, kind: wa_buyer.kind.clone(), value: wa_buyer.id.clone() },
    ];
    let found = ok(store.orders_of_buyers(&tenant, &identities, 10).await, "orders_of_buyers");
    let ids: Vec<&str> = found.iter().map(|o| o.order_id.as_str()).collect();
    assert_eq!(ids, ["A2", "wamid.X", "A1"], "both identities' orders, newest first");
    let limited = ok(store.orders_of_buyers(&tenant, &identities, 1).await, "limited");
    assert_eq!(limited.len(), 1);
    assert_eq!(limited[0].order_id, "A2");
    assert!(ok(store.orders_of_buyers(&tenant, &[], 10).await, "no identities").is_empty());
}

/// An order without an id is refused.
pub async fn an_order_without_id_is_refused(store: &dyn OrderStore) {
    let order = Order::new(tenant(), ChannelAccountId::new(), "", "UNPAID", fixtures::at(0));
    let error = store.merge_order(order).await.expect_err("refused");
    assert_eq!(error.kind(), unibox_core::ErrorKind::InvalidInput);
}

type Check = for<'a> fn(&'a dyn OrderStore) -> BoxFuture<'a, ()>;

const CHECKS: &[(&str, Check)] = &[
    ("merges_are_idempotent_and_keep_the_newest_status", |s| {
        Box::pin(merges_are_idempotent_and_keep_the_newest_status(s))
    }),
    ("orders_are_per_tenant", |s| Box::pin(orders_are_per_tenant(s))),
    ("orders_of_buyers_follow_identities", |s| Box::pin(orders_of_buyers_follow_identities(s))),
    ("an_order_without_id_is_refused", |s| Box::pin(an_order_without_id_is_refused(s))),
];

/// Runs every check against `store` and panics with the name and message of each that failed.
pub async fn run_all(store: &dyn OrderStore) {
    let mut failures = Vec::new();
    for (name, check) in CHECKS {
        if let Err(message) = catch_panic(check(store)).await {
            failures.push(format!("{name}: {message}"));
        }
    }
    if !failures.is_empty() {
        panic!(
            "order store conformance: {} of {} checks failed:\n- {}",
            failures.len(),
            CHECKS.len(),
            failures.join("\n- ")
        );
    }
}
