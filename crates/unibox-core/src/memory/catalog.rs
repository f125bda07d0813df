//! [`MemoryCatalog`]: products in process memory.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use crate::catalog::{CatalogStore, MAX_PRODUCTS_LISTED, Product};
use crate::{ChannelAccountId, Error, ErrorKind, Result, TenantId};

type Key = (TenantId, ChannelAccountId, String);

/// Products in process memory, for tests and trials.
///
/// ```
/// use unibox_core::memory::MemoryCatalog;
/// let catalog = MemoryCatalog::new();
/// # drop(catalog);
/// ```
#[derive(Default)]
pub struct MemoryCatalog {
    products: Mutex<BTreeMap<Key, Product>>,
}

impl MemoryCatalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }

    fn products(&self) -> MutexGuard<'_, BTreeMap<Key, Product>> {
        // Every write replaces whole products, so a poisoned lock still holds consistent data.
        self.products.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl std::fmt::Debug for MemoryCatalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryCatalog").field("products", &self.products().len()).finish()
    }
}

#[async_trait]
impl CatalogStore for MemoryCatalog {
    async fn save_products(&self, products: &[Product]) -> Result<()> {
        if products.iter().any(|p| p.product_id.is_empty()) {
            return Err(Error::new(ErrorKind::InvalidInput, "a product needs the platform's product id")
                .with_operation("memory.catalog.save"));
        }
        let mut stored = self.products();
        for product in products {
            stored.insert((product.tenant.clone(), product.account, product.product_id.clone()), product.clone());
        }
        Ok(())
    }

    async fn product(&self, tenant: &TenantId, account: ChannelAccountId, product_id: &str) -> Result<Option<Product>> {
        Ok(self.products().get(&(tenant.clone(), account, product_id.to_owned())).cloned())
    }

    async fn search_products(&self, tenant: &TenantId, query: &str, limit: usize) -> Result<Vec<Product>> {
        let mut found: Vec<Product> =
            self.products().values().filter(|p| &p.tenant == tenant && p.matches(query)).cloned().collect();
        found.sort_by(|a, b| a.title.cmp(&b.title).then_with(|| a.product_id.cmp(&b.product_id)));
        found.truncate(limit.min(MAX_PRODUCTS_LISTED));
        Ok(found)
    }
}

impl MemoryCatalog {
    pub(crate) fn forget_tenant(&self, tenant: &TenantId) {
        self.products().retain(|(owner, ..), _| owner != tenant);
    }
}
