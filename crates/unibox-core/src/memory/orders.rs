//! [`MemoryOrderStore`]: orders in process memory.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use crate::orders::{Order, OrderStore, newest_first};
use crate::{ChannelAccountId, ContactIdentity, Result, TenantId};

type Key = (TenantId, ChannelAccountId, String);

/// Orders in process memory, for tests and trials.
///
/// ```
/// use unibox_core::memory::MemoryOrderStore;
/// let store = MemoryOrderStore::new();
/// # drop(store);
/// ```
#[derive(Default)]
pub struct MemoryOrderStore {
    orders: Mutex<HashMap<Key, Order>>,
}

impl MemoryOrderStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    pub(super) fn orders(&self) -> MutexGuard<'_, HashMap<Key, Order>> {
        // Every write replaces one whole order, so a poisoned lock still holds consistent data.
        self.orders.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl std::fmt::Debug for MemoryOrderStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryOrderStore").field("orders", &self.orders().len()).finish()
    }
}

#[async_trait]
impl OrderStore for MemoryOrderStore {
    async fn merge_order(&self, order: Order) -> Result<Order> {
        order.check_storable("memory.orders.merge")?;
        let key = (order.tenant.clone(), order.account, order.order_id.clone());
        let mut orders = self.orders();
        let stored = order.merged_onto(orders.remove(&key));
        orders.insert(key, stored.clone());
        Ok(stored)
    }

    async fn order(&self, tenant: &TenantId, account: ChannelAccountId, order_id: &str) -> Result<Option<Order>> {
        Ok(self.orders().get(&(tenant.clone(), account, order_id.to_owned())).cloned())
    }

    async fn orders_of_buyers(
        &self,
        tenant: &TenantId,
        buyers: &[ContactIdentity],
        limit: usize,
    ) -> Result<Vec<Order>> {
        let mut found: Vec<Order> = self
            .orders()
            .values()
            .filter(|order| &order.tenant == tenant && buyers.iter().any(|buyer| order.is_of(buyer)))
            .cloned()
            .collect();
        newest_first(&mut found, limit);
        Ok(found)
    }

    async fn orders_after(
        &self,
        tenant: &TenantId,
        after: Option<(ChannelAccountId, String)>,
        limit: usize,
    ) -> Result<Vec<Order>> {
        let orders = self.orders();
        let mut keys: Vec<&Key> = orders
            .keys()
            .filter(|(t, account, id)| t == tenant && after.as_ref().is_none_or(|(a, i)| (account, id) > (a, i)))
            .collect();
        keys.sort();
        Ok(keys.into_iter().take(limit).filter_map(|key| orders.get(key).cloned()).collect())
    }
}

impl MemoryOrderStore {
    /// Removes `tenant`'s orders (all, or those of the buyers in `buyers`); returns how many.
    pub(crate) fn forget(&self, tenant: &TenantId, buyers: Option<&[crate::ContactIdentity]>) -> u64 {
        let mut orders = self.orders();
        let before = orders.len();
        orders.retain(|(owner, account, _), order| {
            owner != tenant
                || buyers.is_some_and(|buyers| {
                    !order.buyer.as_ref().is_some_and(|buyer| {
                        buyers.iter().any(|i| i.account == *account && i.kind == buyer.kind && i.value == buyer.id)
                    })
                })
        });
        (before - orders.len()) as u64
    }
}
