//! [`CreditLedger`] for [`PostgresInbox`]: message credits (table `credit_entries`, migration
//! `0025_credits.sql`), append-only by trigger.

use async_trait::async_trait;
use tokio_postgres::Row;
use unibox_core::metering::{CreditChange, CreditEntry, CreditLedger, check_entries_limit};
use unibox_core::{Result, TenantId, Timestamp};

use crate::error::{PgResultExt, corrupt};
use crate::inbox::PostgresInbox;
use crate::pool::lock_key;

const COLUMNS: &str = "tenant, sequence, kind, amount, balance, at, reference";

fn entry_from(row: &Row, operation: &'static str) -> Result<CreditEntry> {
    Ok(CreditEntry {
        tenant: row.get::<_, &str>(0).parse().map_err(|_| corrupt(operation, "credit entry tenant"))?,
        sequence: u64::try_from(row.get::<_, i64>(1)).map_err(|_| corrupt(operation, "credit entry sequence"))?,
        kind: row.get::<_, &str>(2).parse().map_err(|_| corrupt(operation, "credit entry kind"))?,
        amount: row.get(3),
        balance: row.get(4),
        at: Timestamp::from_unix_millis(row.get(5)),
        reference: row.get(6),
    })
}

#[async_trait]
impl CreditLedger for PostgresInbox {
    async fn append(&self, change: CreditChange) -> Result<CreditEntry> {
        const OP: &str = "postgres.credits.append";
        change.validate()?;
        let tenant = change.tenant.clone();
        self.db
            .tenant_tx(OP, &tenant, move |tx| {
                Box::pin(async move {
                    let name = change.tenant.as_str().to_owned();
                    // The tenant's ledger lock (any process): the last entry is read and the next
                    // written with no other append in between, so a floor holds under concurrent
                    // debits.
                    lock_key(tx, &format!("credits:{name}"), OP).await?;
                    let last = tx
                        .prepare_cached(&format!(
                            "SELECT {COLUMNS} FROM credit_entries WHERE tenant = $1 ORDER BY sequence DESC LIMIT 1"
                        ))
                        .await
                        .during(OP)?;
                    let last = tx.query_opt(&last, &[&name]).await.during(OP)?;
                    let last = last.map(|row| entry_from(&row, OP)).transpose()?;
                    let entry = change.next_entry(last.as_ref())?;
                    let sequence = i64::try_from(entry.sequence).map_err(|_| corrupt(OP, "credit entry sequence"))?;
                    let insert = tx
                        .prepare_cached(&format!(
                            "INSERT INTO credit_entries ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                        ))
                        .await
                        .during(OP)?;
                    tx.execute(
                        &insert,
                        &[
                            &name,
                            &sequence,
                            &entry.kind.as_str(),
                            &entry.amount,
                            &entry.balance,
                            &entry.at.as_unix_millis(),
                            &entry.reference,
                        ],
                    )
                    .await
                    .during(OP)?;
                    Ok(entry)
                })
            })
            .await
    }

    async fn balance(&self, tenant: &TenantId) -> Result<i64> {
        const OP: &str = "postgres.credits.balance";
        let name = tenant.as_str().to_owned();
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(
                            "SELECT balance FROM credit_entries WHERE tenant = $1 ORDER BY sequence DESC LIMIT 1",
                        )
                        .await
                        .during(OP)?;
                    Ok(tx.query_opt(&statement, &[&name]).await.during(OP)?.map_or(0, |row| row.get(0)))
                })
            })
            .await
    }

    async fn entries(&self, tenant: &TenantId, after: u64, limit: usize) -> Result<Vec<CreditEntry>> {
        const OP: &str = "postgres.credits.entries";
        check_entries_limit(limit)?;
        let name = tenant.as_str().to_owned();
        // Above i64::MAX there is nothing: no sequence gets that far.
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(&format!(
                            "SELECT {COLUMNS} FROM credit_entries WHERE tenant = $1 AND sequence > $2 \
                             ORDER BY sequence LIMIT $3"
                        ))
                        .await
                        .during(OP)?;
                    let rows = tx.query(&statement, &[&name, &after, &limit]).await.during(OP)?;
                    rows.iter().map(|row| entry_from(row, OP)).collect()
                })
            })
            .await
    }
}
