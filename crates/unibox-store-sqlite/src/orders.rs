//! [`OrderStore`] for [`SqliteInbox`]: orders in the inbox file (table `orders`, schema
//! version 10). A merge reads and writes the row in one write transaction, so concurrent pushes
//! of one order never lose each other's changes.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};
use unibox_core::orders::{MAX_ORDERS_LISTED, Order, OrderStore, newest_first};
use unibox_core::{ChannelAccountId, ContactIdentity, Result, TenantId};

use crate::codec::{identity_kind_key, to_json};
use crate::error::{SqlResultExt, corrupt};
use crate::inbox::SqliteInbox;
use crate::sealing::cells::{field, index};
use crate::sealing::{self, Sealer};

fn read_order(
    conn: &Connection,
    tenant: &str,
    account: &[u8],
    order_id: &str,
    op: &'static str,
) -> Result<Option<Order>> {
    let body: Option<(String, Option<Vec<u8>>)> = conn
        .prepare_cached("SELECT body, body_sealed FROM orders WHERE tenant = ?1 AND account = ?2 AND order_id = ?3")
        .during(op)?
        .query_row(params![tenant, account, order_id], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()
        .during(op)?;
    body.map(|(body, sealed)| open_order(account, order_id, body, sealed, op)).transpose()
}

/// The row id an order's sealed body is bound to: the account and the platform's order id.
pub(crate) fn order_row(account: &[u8], order_id: &str) -> Vec<u8> {
    let mut row = account.to_vec();
    row.extend_from_slice(order_id.as_bytes());
    row
}

fn open_order(
    account: &[u8],
    order_id: &str,
    body: String,
    sealed: Option<Vec<u8>>,
    op: &'static str,
) -> Result<Order> {
    let body = sealing::current(op)?.open_required(field::ORDER_BODY, &order_row(account, order_id), body, sealed)?;
    serde_json::from_str::<Order>(&body).map_err(|_| corrupt(op, "order"))
}

/// What `orders.buyer_id` holds: the buyer's id (plain) or its blind (sealed).
pub(crate) fn buyer_lookup(sealer: &Sealer, kind: &str, id: &str) -> String {
    if sealer.is_sealed() { sealer.lookup(index::ORDER_BUYER, &format!("{kind}\u{0}{id}")) } else { id.to_owned() }
}

#[async_trait]
impl OrderStore for SqliteInbox {
    async fn merge_order(&self, order: Order) -> Result<Order> {
        const OP: &str = "sqlite.orders.merge";
        order.check_storable(OP)?;
        let tenant_id = order.tenant.clone();
        self.write_sealed(OP, &tenant_id, move |conn| {
            let tenant = order.tenant.as_str().to_owned();
            let account = *order.account.as_bytes();
            let stored = read_order(conn, &tenant, &account, &order.order_id, OP)?;
            let merged = order.merged_onto(stored);
            let sealer = sealing::current(OP)?;
            let (buyer_kind, buyer_id) = match &merged.buyer {
                Some(buyer) => {
                    let kind = identity_kind_key(&buyer.kind)?;
                    let id = buyer_lookup(&sealer, &kind, &buyer.id);
                    (Some(kind), Some(id))
                }
                None => (None, None),
            };
            let json = to_json(&merged, "order")?;
            let (body, body_sealed) =
                sealer.store_required(field::ORDER_BODY, &order_row(&account, &merged.order_id), &json)?;
            conn.prepare_cached(
                "INSERT INTO orders (tenant, account, order_id, buyer_kind, buyer_id, updated_at, body, body_sealed) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                     ON CONFLICT (tenant, account, order_id) DO UPDATE SET buyer_kind = excluded.buyer_kind, \
                     buyer_id = excluded.buyer_id, updated_at = excluded.updated_at, body = excluded.body, \
                     body_sealed = excluded.body_sealed",
            )
            .during(OP)?
            .execute(params![
                tenant,
                account.as_slice(),
                merged.order_id,
                buyer_kind,
                buyer_id,
                merged.updated_at.as_unix_millis(),
                body,
                body_sealed
            ])
            .during(OP)?;
            Ok(merged)
        })
        .await
    }

    async fn order(&self, tenant: &TenantId, account: ChannelAccountId, order_id: &str) -> Result<Option<Order>> {
        const OP: &str = "sqlite.orders.get";
        let tenant_id = tenant.clone();
        let tenant = tenant.as_str().to_owned();
        let order_id = order_id.to_owned();
        self.read_sealed(OP, &tenant_id, move |conn| read_order(conn, &tenant, account.as_bytes(), &order_id, OP)).await
    }

    async fn orders_of_buyers(
        &self,
        tenant: &TenantId,
        buyers: &[ContactIdentity],
        limit: usize,
    ) -> Result<Vec<Order>> {
        const OP: &str = "sqlite.orders.of_buyers";
        let limit = limit.min(MAX_ORDERS_LISTED);
        let keys = buyers
            .iter()
            .map(|identity| {
                Ok((*identity.account.as_bytes(), identity_kind_key(&identity.kind)?, identity.value.clone()))
            })
            .collect::<Result<Vec<_>>>()?;
        let tenant_id = tenant.clone();
        let tenant = tenant.as_str().to_owned();
        self.read_sealed(OP, &tenant_id, move |conn| {
            let sealer = sealing::current(OP)?;
            let mut found = Vec::new();
            let mut statement = conn
                .prepare_cached(
                    "SELECT body, body_sealed, order_id FROM orders WHERE tenant = ?1 AND account = ?2 \
                     AND buyer_kind = ?3 AND buyer_id = ?4 ORDER BY updated_at DESC LIMIT ?5",
                )
                .during(OP)?;
            for (account, kind, value) in &keys {
                let value = buyer_lookup(&sealer, kind, value);
                let rows = statement
                    .query_map(params![tenant, account.as_slice(), kind, value, limit as i64], |row| {
                        Ok((row.get::<_, String>(0)?, row.get::<_, Option<Vec<u8>>>(1)?, row.get::<_, String>(2)?))
                    })
                    .during(OP)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .during(OP)?;
                for (body, sealed, order_id) in rows {
                    found.push(open_order(account, &order_id, body, sealed, OP)?);
                }
            }
            newest_first(&mut found, limit);
            Ok(found)
        })
        .await
    }

    async fn orders_after(
        &self,
        tenant: &TenantId,
        after: Option<(ChannelAccountId, String)>,
        limit: usize,
    ) -> Result<Vec<Order>> {
        const OP: &str = "sqlite.orders.after";
        let tenant_id = tenant.clone();
        let tenant = tenant.as_str().to_owned();
        // The empty blob sorts before every account id, so the first page starts at the start.
        let (account, order_id) = match after {
            Some((account, order_id)) => (account.as_bytes().to_vec(), order_id),
            None => (Vec::new(), String::new()),
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read_sealed(OP, &tenant_id, move |conn| {
            let mut statement = conn
                .prepare_cached(
                    "SELECT account, order_id, body, body_sealed FROM orders \
                     WHERE tenant = ?1 AND (account, order_id) > (?2, ?3) \
                     ORDER BY account, order_id LIMIT ?4",
                )
                .during(OP)?;
            let rows = statement
                .query_map(params![tenant, account, order_id, limit], |row| {
                    Ok((
                        row.get::<_, Vec<u8>>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, Option<Vec<u8>>>(3)?,
                    ))
                })
                .during(OP)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .during(OP)?;
            let mut found = Vec::with_capacity(rows.len());
            for (account, order_id, body, sealed) in rows {
                found.push(open_order(&account, &order_id, body, sealed, OP)?);
            }
            Ok(found)
        })
        .await
    }
}
