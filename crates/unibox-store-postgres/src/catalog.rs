//! [`CatalogStore`] for [`PostgresInbox`]: products (table `products`, migration
//! `0028_catalog.sql`).
//!
//! A search walks the tenant's products in title order and keeps those
//! [`Product::matches`] accepts (every term, any case, any script: the rule of every catalog
//! store, in core), stopping at the limit; as in the SQLite store, a catalog holds thousands of
//! products, not the millions of messages the trigram index serves.

use async_trait::async_trait;
use unibox_core::catalog::{CatalogStore, MAX_PRODUCTS_LISTED, Product};
use unibox_core::{ChannelAccountId, Error, ErrorKind, Result, TenantId};

use crate::codec::{from_json, to_json};
use crate::error::PgResultExt;
use crate::inbox::PostgresInbox;

#[async_trait]
impl CatalogStore for PostgresInbox {
    async fn save_products(&self, products: &[Product]) -> Result<()> {
        const OP: &str = "postgres.catalog.save";
        if products.iter().any(|p| p.product_id.is_empty()) {
            return Err(
                Error::new(ErrorKind::InvalidInput, "a product needs the platform's product id").with_operation(OP)
            );
        }
        let Some(first) = products.first() else { return Ok(()) };
        let mut rows = products
            .iter()
            .map(|p| {
                Ok((
                    p.tenant.as_str().to_owned(),
                    p.account.as_uuid(),
                    p.product_id.clone(),
                    p.title.clone(),
                    p.updated_at.as_unix_millis(),
                    to_json(p, "product")?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        // Each tenant's rows together, in key order (concurrent saves lock rows in one order);
        // the last save of a product in the batch wins, as in order.
        rows.sort_by(|a, b| (&a.0, a.1, &a.2).cmp(&(&b.0, b.1, &b.2)));
        // One transaction for the batch (all or none), scoped to each tenant in turn.
        self.db
            .tenant_tx(OP, &first.tenant, move |tx| {
                Box::pin(async move {
                    let scope = tx.prepare_cached("SELECT set_config('unibox.tenant', $1, true)").await.during(OP)?;
                    let upsert = tx
                        .prepare_cached(
                            "INSERT INTO products (tenant, account, product_id, title, updated_at, body) \
                             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant, account, product_id) DO UPDATE \
                             SET title = excluded.title, updated_at = excluded.updated_at, body = excluded.body",
                        )
                        .await
                        .during(OP)?;
                    let mut scoped: Option<&str> = None;
                    for (tenant, account, product_id, title, updated_at, body) in &rows {
                        if scoped != Some(tenant.as_str()) {
                            tx.execute(&scope, &[tenant]).await.during(OP)?;
                            scoped = Some(tenant.as_str());
                        }
                        tx.execute(&upsert, &[tenant, account, product_id, title, updated_at, body])
                            .await
                            .during(OP)?;
                    }
                    Ok(())
                })
            })
            .await
    }

    async fn product(&self, tenant: &TenantId, account: ChannelAccountId, product_id: &str) -> Result<Option<Product>> {
        const OP: &str = "postgres.catalog.product";
        let (name, product_id) = (tenant.as_str().to_owned(), product_id.to_owned());
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(
                            "SELECT body FROM products WHERE tenant = $1 AND account = $2 AND product_id = $3",
                        )
                        .await
                        .during(OP)?;
                    let row = tx.query_opt(&statement, &[&name, &account.as_uuid(), &product_id]).await.during(OP)?;
                    row.map(|row| from_json(row.get(0), OP, "product")).transpose()
                })
            })
            .await
    }

    async fn search_products(&self, tenant: &TenantId, query: &str, limit: usize) -> Result<Vec<Product>> {
        const OP: &str = "postgres.catalog.search";
        if query.split_whitespace().next().is_none() {
            return Ok(Vec::new());
        }
        let (name, query) = (tenant.as_str().to_owned(), query.to_owned());
        let limit = limit.min(MAX_PRODUCTS_LISTED);
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(
                            "SELECT body FROM products WHERE tenant = $1 \
                             ORDER BY title COLLATE \"C\", product_id COLLATE \"C\"",
                        )
                        .await
                        .during(OP)?;
                    let mut found = Vec::new();
                    for row in tx.query(&statement, &[&name]).await.during(OP)? {
                        if found.len() == limit {
                            break;
                        }
                        let product: Product = from_json(row.get(0), OP, "product")?;
                        if product.matches(&query) {
                            found.push(product);
                        }
                    }
                    Ok(found)
                })
            })
            .await
    }
}
