//! [`OrderStore`] for [`PostgresInbox`]: orders (table `orders`, migration `0029_orders.sql`),
//! sealed as the SQLite store seals them: the order itself under the tenant's data key, the
//! buyer only as its blind.
//!
//! A merge takes the order's advisory lock, reads the stored order and writes the merged one
//! in the same transaction, so concurrent pushes of one order, from any process, never lose
//! each other's changes.

use async_trait::async_trait;
use tokio_postgres::Row;
use unibox_core::orders::{MAX_ORDERS_LISTED, Order, OrderStore, newest_first};
use unibox_core::{ChannelAccountId, ContactIdentity, Result, TenantId};
use uuid::Uuid;

use crate::codec::{from_json, identity_kind_key, to_json};
use crate::error::PgResultExt;
use crate::inbox::PostgresInbox;
use crate::pool::{Tx, lock_key};
use crate::rows::{buyer_lookup, order_row};
use crate::sealing::{Access, Seal, field};

/// Opens a row of `account, order_id, body_sealed`.
fn open_order(seal: &Seal, row: &Row, operation: &'static str) -> Result<Order> {
    let (account, order_id): (Uuid, &str) = (row.get(0), row.get(1));
    let body = seal.open(field::ORDER_BODY, &order_row(&account, order_id), row.get(2))?;
    from_json(&body, operation, "order")
}

async fn read_order(
    tx: &Tx<'_>,
    seal: &Seal,
    tenant: &str,
    account: &Uuid,
    order_id: &str,
    operation: &'static str,
) -> Result<Option<Order>> {
    let statement = tx
        .prepare_cached(
            "SELECT account, order_id, body_sealed FROM orders WHERE tenant = $1 AND account = $2 AND order_id = $3",
        )
        .await
        .during(operation)?;
    let row = tx.query_opt(&statement, &[&tenant, account, &order_id]).await.during(operation)?;
    row.map(|row| open_order(seal, &row, operation)).transpose()
}

#[async_trait]
impl OrderStore for PostgresInbox {
    async fn merge_order(&self, order: Order) -> Result<Order> {
        const OP: &str = "postgres.orders.merge";
        order.check_storable(OP)?;
        let tenant = order.tenant.clone();
        let seal = self.keys.seal(&tenant, Access::Write).await?;
        self.db
            .tenant_tx(OP, &tenant, move |tx| {
                Box::pin(async move {
                    let name = order.tenant.as_str().to_owned();
                    let account = order.account.as_uuid();
                    lock_key(tx, &format!("order:{name}:{account}:{}", order.order_id), OP).await?;
                    let stored = read_order(tx, &seal, &name, &account, &order.order_id, OP).await?;
                    let merged = order.merged_onto(stored);
                    let (buyer_kind, buyer_id) = match &merged.buyer {
                        Some(buyer) => {
                            let kind = identity_kind_key(&buyer.kind)?;
                            let id = buyer_lookup(&seal, &kind, &buyer.id);
                            (Some(kind), Some(id))
                        }
                        None => (None, None),
                    };
                    let json = to_json(&merged, "order")?;
                    let sealed = seal.seal(field::ORDER_BODY, &order_row(&account, &merged.order_id), &json)?;
                    let statement = tx
                        .prepare_cached(
                            "INSERT INTO orders (tenant, account, order_id, buyer_kind, buyer_id, updated_at, \
                             body_sealed) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                             ON CONFLICT (tenant, account, order_id) DO UPDATE SET buyer_kind = excluded.buyer_kind, \
                             buyer_id = excluded.buyer_id, updated_at = excluded.updated_at, \
                             body_sealed = excluded.body_sealed",
                        )
                        .await
                        .during(OP)?;
                    tx.execute(
                        &statement,
                        &[
                            &name,
                            &account,
                            &merged.order_id,
                            &buyer_kind,
                            &buyer_id,
                            &merged.updated_at.as_unix_millis(),
                            &sealed,
                        ],
                    )
                    .await
                    .during(OP)?;
                    Ok(merged)
                })
            })
            .await
    }

    async fn order(&self, tenant: &TenantId, account: ChannelAccountId, order_id: &str) -> Result<Option<Order>> {
        const OP: &str = "postgres.orders.get";
        let seal = self.keys.seal(tenant, Access::Read).await?;
        let (name, order_id) = (tenant.as_str().to_owned(), order_id.to_owned());
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move { read_order(tx, &seal, &name, &account.as_uuid(), &order_id, OP).await })
            })
            .await
    }

    async fn orders_of_buyers(
        &self,
        tenant: &TenantId,
        buyers: &[ContactIdentity],
        limit: usize,
    ) -> Result<Vec<Order>> {
        const OP: &str = "postgres.orders.of_buyers";
        let limit = limit.min(MAX_ORDERS_LISTED);
        let seal = self.keys.seal(tenant, Access::Read).await?;
        let keys = buyers
            .iter()
            .map(|identity| {
                let kind = identity_kind_key(&identity.kind)?;
                let lookup = buyer_lookup(&seal, &kind, &identity.value);
                Ok((identity.account.as_uuid(), kind, lookup))
            })
            .collect::<Result<Vec<_>>>()?;
        let name = tenant.as_str().to_owned();
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(
                            "SELECT account, order_id, body_sealed FROM orders WHERE tenant = $1 AND account = $2 \
                             AND buyer_kind = $3 AND buyer_id = $4 ORDER BY updated_at DESC LIMIT $5",
                        )
                        .await
                        .during(OP)?;
                    let mut found = Vec::new();
                    for (account, kind, lookup) in &keys {
                        let rows =
                            tx.query(&statement, &[&name, account, kind, lookup, &(limit as i64)]).await.during(OP)?;
                        for row in rows {
                            found.push(open_order(&seal, &row, OP)?);
                        }
                    }
                    newest_first(&mut found, limit);
                    Ok(found)
                })
            })
            .await
    }

    async fn orders_after(
        &self,
        tenant: &TenantId,
        after: Option<(ChannelAccountId, String)>,
        limit: usize,
    ) -> Result<Vec<Order>> {
        const OP: &str = "postgres.orders.after";
        let seal = self.keys.seal(tenant, Access::Read).await?;
        let name = tenant.as_str().to_owned();
        let (account, order_id) = match after {
            Some((account, order_id)) => (Some(account.as_uuid()), order_id),
            None => (None, String::new()),
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    // Account ids compare as their bytes, order ids as theirs: the SQLite order.
                    let statement = tx
                        .prepare_cached(
                            "SELECT account, order_id, body_sealed FROM orders WHERE tenant = $1 \
                             AND ($2::UUID IS NULL OR (account, order_id COLLATE \"C\") > ($2, $3)) \
                             ORDER BY account, order_id COLLATE \"C\" LIMIT $4",
                        )
                        .await
                        .during(OP)?;
                    let rows = tx.query(&statement, &[&name, &account, &order_id, &limit]).await.during(OP)?;
                    rows.iter().map(|row| open_order(&seal, row, OP)).collect()
                })
            })
            .await
    }
}
