//! Marketplace orders, sealed as a merge seals them: the order under the tenant's data key, the
//! buyer only as its blind.

use std::collections::HashSet;

use unibox_core::orders::Order;
use unibox_core::{Error, ErrorKind, Result};
use uuid::Uuid;

use super::OP;
use super::batch::{batches, part};
use crate::codec::{identity_kind_key, to_json};
use crate::error::PgResultExt;
use crate::pool::Tx;
use crate::rows::{buyer_lookup, order_row};
use crate::sealing::{Seal, field};

/// The orders of an export, as `orders` rows.
#[derive(Default)]
pub(super) struct Orders {
    keys: HashSet<(Uuid, String)>,
    account: Vec<Uuid>,
    order_id: Vec<String>,
    buyer_kind: Vec<Option<String>>,
    buyer_id: Vec<Option<String>>,
    updated_at: Vec<i64>,
    body_sealed: Vec<Vec<u8>>,
}

impl Orders {
    pub(super) fn push(&mut self, seal: &Seal, order: &Order) -> Result<()> {
        let account = order.account.as_uuid();
        if order.order_id.is_empty() {
            return Err(Error::new(ErrorKind::InvalidInput, "the order has no platform order id"));
        }
        if !self.keys.insert((account, order.order_id.clone())) {
            return Err(Error::new(ErrorKind::InvalidInput, "another order of the export has this account and id"));
        }
        let (buyer_kind, buyer_id) = match &order.buyer {
            Some(buyer) => {
                let kind = identity_kind_key(&buyer.kind)?;
                let id = buyer_lookup(seal, &kind, &buyer.id);
                (Some(kind), Some(id))
            }
            None => (None, None),
        };
        let body = to_json(order, "order")?;
        self.body_sealed.push(seal.seal(field::ORDER_BODY, &order_row(&account, &order.order_id), &body)?);
        self.account.push(account);
        self.order_id.push(order.order_id.clone());
        self.buyer_kind.push(buyer_kind);
        self.buyer_id.push(buyer_id);
        self.updated_at.push(order.updated_at.as_unix_millis());
        Ok(())
    }

    pub(super) async fn insert(&self, tx: &Tx<'_>, tenant: &str) -> Result<()> {
        let orders = tx
            .prepare_cached(
                "INSERT INTO orders (tenant, account, order_id, buyer_kind, buyer_id, updated_at, body_sealed) \
                 SELECT $1::TEXT, * FROM unnest($2::UUID[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::BIGINT[], \
                   $7::BYTEA[])",
            )
            .await
            .during(OP)?;
        for rows in batches(self.account.len()) {
            tx.execute(
                &orders,
                &[
                    &tenant,
                    &part(&self.account, &rows),
                    &part(&self.order_id, &rows),
                    &part(&self.buyer_kind, &rows),
                    &part(&self.buyer_id, &rows),
                    &part(&self.updated_at, &rows),
                    &part(&self.body_sealed, &rows),
                ],
            )
            .await
            .during(OP)?;
        }
        Ok(())
    }
}
