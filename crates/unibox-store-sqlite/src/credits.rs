//! [`CreditLedger`] for [`SqliteInbox`]: message credits in the inbox file (table
//! `credit_entries`, schema version 12), append-only by trigger.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params};
use unibox_core::metering::{CreditChange, CreditEntry, CreditLedger, check_entries_limit};
use unibox_core::{Result, TenantId, Timestamp};

use crate::error::{SqlResultExt, corrupt};
use crate::inbox::SqliteInbox;

const COLUMNS: &str = "tenant, sequence, kind, amount, balance, at, reference";

type EntryRow = (String, i64, String, i64, i64, i64, Option<String>);

fn read_row(row: &Row<'_>) -> rusqlite::Result<EntryRow> {
    Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?, row.get(6)?))
}

fn to_entry(operation: &'static str, row: EntryRow) -> Result<CreditEntry> {
    let (tenant, sequence, kind, amount, balance, at, reference) = row;
    Ok(CreditEntry {
        tenant: tenant.parse().map_err(|_| corrupt(operation, "credit entry tenant"))?,
        sequence: u64::try_from(sequence).map_err(|_| corrupt(operation, "credit entry sequence"))?,
        kind: kind.parse().map_err(|_| corrupt(operation, "credit entry kind"))?,
        amount,
        balance,
        at: Timestamp::from_unix_millis(at),
        reference,
    })
}

#[async_trait]
impl CreditLedger for SqliteInbox {
    async fn append(&self, change: CreditChange) -> Result<CreditEntry> {
        const OP: &str = "sqlite.credits.append";
        change.validate()?;
        // The last entry is read and the next one written in the same write transaction, which
        // SQLite holds exclusively (across processes too): concurrent debits are serialised, so
        // a floor holds.
        self.writer
            .write(OP, move |conn| {
                let last = conn
                    .prepare_cached(&format!(
                        "SELECT {COLUMNS} FROM credit_entries WHERE tenant = ?1 ORDER BY sequence DESC LIMIT 1"
                    ))
                    .during(OP)?
                    .query_row(params![change.tenant.as_str()], read_row)
                    .optional()
                    .during(OP)?
                    .map(|row| to_entry(OP, row))
                    .transpose()?;
                let entry = change.next_entry(last.as_ref())?;
                let sequence = i64::try_from(entry.sequence).map_err(|_| corrupt(OP, "credit entry sequence"))?;
                conn.prepare_cached(&format!(
                    "INSERT INTO credit_entries ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
                ))
                .during(OP)?
                .execute(params![
                    entry.tenant.as_str(),
                    sequence,
                    entry.kind.as_str(),
                    entry.amount,
                    entry.balance,
                    entry.at.as_unix_millis(),
                    entry.reference,
                ])
                .during(OP)?;
                Ok(entry)
            })
            .await
    }

    async fn balance(&self, tenant: &TenantId) -> Result<i64> {
        const OP: &str = "sqlite.credits.balance";
        let tenant = tenant.clone();
        self.read(OP, move |conn| {
            let balance = conn
                .prepare_cached("SELECT balance FROM credit_entries WHERE tenant = ?1 ORDER BY sequence DESC LIMIT 1")
                .during(OP)?
                .query_row(params![tenant.as_str()], |row| row.get::<_, i64>(0))
                .optional()
                .during(OP)?;
            Ok(balance.unwrap_or(0))
        })
        .await
    }

    async fn entries(&self, tenant: &TenantId, after: u64, limit: usize) -> Result<Vec<CreditEntry>> {
        const OP: &str = "sqlite.credits.entries";
        check_entries_limit(limit)?;
        let tenant = tenant.clone();
        // Above i64::MAX there is nothing: no sequence gets that far.
        let after = i64::try_from(after).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(OP, move |conn| {
            let rows = conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM credit_entries WHERE tenant = ?1 AND sequence > ?2 ORDER BY sequence LIMIT ?3"
                ))
                .during(OP)?
                .query_map(params![tenant.as_str(), after, limit], read_row)
                .during(OP)?
                .collect::<rusqlite::Result<Vec<_>>>()
                .during(OP)?;
            rows.into_iter().map(|row| to_entry(OP, row)).collect()
        })
        .await
    }
}
