//! [`SyncCursorStore`] for [`SqliteInbox`]: pull cursors in the inbox file (table
//! `sync_cursors`, schema version 11).

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use unibox_core::history::{SyncCursor, SyncCursorStore, SyncStream};
use unibox_core::{ChannelAccountId, Result, TenantId, Timestamp};

use crate::error::SqlResultExt;
use crate::inbox::SqliteInbox;

#[async_trait]
impl SyncCursorStore for SqliteInbox {
    async fn cursor(
        &self,
        tenant: &TenantId,
        account: ChannelAccountId,
        stream: SyncStream,
    ) -> Result<Option<SyncCursor>> {
        const OP: &str = "sqlite.sync_cursors.get";
        let tenant = tenant.as_str().to_owned();
        self.read(OP, move |conn| {
            let row: Option<(Option<String>, bool, i64)> = conn
                .prepare_cached(
                    "SELECT position, finished, updated_at FROM sync_cursors \
                     WHERE tenant = ?1 AND account = ?2 AND stream = ?3",
                )
                .during(OP)?
                .query_row(params![tenant, account.as_bytes().as_slice(), stream.as_str()], |row| {
                    Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                })
                .optional()
                .during(OP)?;
            Ok(row.map(|(position, finished, updated)| {
                let at = Timestamp::from_unix_millis(updated);
                match (finished, position) {
                    (true, _) => SyncCursor::finished(at),
                    (false, Some(position)) => SyncCursor::at(position, at),
                    (false, None) => SyncCursor::start(at),
                }
            }))
        })
        .await
    }

    async fn save_cursor(
        &self,
        tenant: &TenantId,
        account: ChannelAccountId,
        stream: SyncStream,
        cursor: &SyncCursor,
    ) -> Result<()> {
        const OP: &str = "sqlite.sync_cursors.save";
        let tenant = tenant.as_str().to_owned();
        let cursor = cursor.clone();
        self.writer
            .write(OP, move |conn| {
                conn.prepare_cached(
                    "INSERT INTO sync_cursors (tenant, account, stream, position, finished, updated_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (tenant, account, stream) DO UPDATE SET \
                     position = excluded.position, finished = excluded.finished, updated_at = excluded.updated_at",
                )
                .during(OP)?
                .execute(params![
                    tenant,
                    account.as_bytes().as_slice(),
                    stream.as_str(),
                    cursor.position,
                    cursor.finished,
                    cursor.updated_at.as_unix_millis()
                ])
                .during(OP)?;
                Ok(())
            })
            .await
    }
}
