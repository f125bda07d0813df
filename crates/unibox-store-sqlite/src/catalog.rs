//! [`CatalogStore`] for [`SqliteInbox`]: products in the inbox file (table `products`, schema
//! version 12). A search scans the tenant's products through the title index with
//! `unibox_matches` (every term, any case, any script): a catalog holds thousands of products,
//! not the millions of messages the trigram index serves.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use unibox_core::catalog::{CatalogStore, MAX_PRODUCTS_LISTED, Product};
use unibox_core::{ChannelAccountId, Error, ErrorKind, Result, TenantId};

use crate::codec::to_json;
use crate::error::{SqlResultExt, corrupt};
use crate::inbox::SqliteInbox;

#[async_trait]
impl CatalogStore for SqliteInbox {
    async fn save_products(&self, products: &[Product]) -> Result<()> {
        const OP: &str = "sqlite.catalog.save";
        if products.iter().any(|p| p.product_id.is_empty()) {
            return Err(
                Error::new(ErrorKind::InvalidInput, "a product needs the platform's product id").with_operation(OP)
            );
        }
        let rows = products
            .iter()
            .map(|p| {
                Ok((
                    p.tenant.as_str().to_owned(),
                    *p.account.as_bytes(),
                    p.product_id.clone(),
                    p.title.clone(),
                    p.updated_at.as_unix_millis(),
                    to_json(p, "product")?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        self.writer
            .write(OP, move |conn| {
                let mut statement = conn
                    .prepare_cached(
                        "INSERT INTO products (tenant, account, product_id, title, updated_at, body) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (tenant, account, product_id) DO UPDATE SET \
                         title = excluded.title, updated_at = excluded.updated_at, body = excluded.body",
                    )
                    .during(OP)?;
                for (tenant, account, product_id, title, updated_at, body) in &rows {
                    statement
                        .execute(params![tenant, account.as_slice(), product_id, title, updated_at, body])
                        .during(OP)?;
                }
                Ok(())
            })
            .await
    }

    async fn product(&self, tenant: &TenantId, account: ChannelAccountId, product_id: &str) -> Result<Option<Product>> {
        const OP: &str = "sqlite.catalog.product";
        let tenant = tenant.as_str().to_owned();
        let product_id = product_id.to_owned();
        self.read(OP, move |conn| {
            let body: Option<String> = conn
                .prepare_cached("SELECT body FROM products WHERE tenant = ?1 AND account = ?2 AND product_id = ?3")
                .during(OP)?
                .query_row(params![tenant, account.as_bytes().as_slice(), product_id], |row| row.get(0))
                .optional()
                .during(OP)?;
            body.map(|body| serde_json::from_str(&body).map_err(|_| corrupt(OP, "product"))).transpose()
        })
        .await
    }

    async fn search_products(&self, tenant: &TenantId, query: &str, limit: usize) -> Result<Vec<Product>> {
        const OP: &str = "sqlite.catalog.search";
        if query.split_whitespace().next().is_none() {
            return Ok(Vec::new());
        }
        let tenant = tenant.as_str().to_owned();
        let query = query.to_owned();
        let limit = limit.min(MAX_PRODUCTS_LISTED) as i64;
        self.read(OP, move |conn| {
            let mut statement = conn
                .prepare_cached(
                    "SELECT body FROM products WHERE tenant = ?1 AND unibox_matches(title || ' ' || product_id, ?2) \
                     ORDER BY title, product_id LIMIT ?3",
                )
                .during(OP)?;
            let rows = statement.query_map(params![tenant, query, limit], |row| row.get::<_, String>(0)).during(OP)?;
            let mut found = Vec::new();
            for body in rows {
                found.push(serde_json::from_str(&body.during(OP)?).map_err(|_| corrupt(OP, "product"))?);
            }
            Ok(found)
        })
        .await
    }
}
