//! [`SyncCursorStore`] for [`PostgresInbox`]: history pull cursors (table `sync_cursors`,
//! migration `0027_sync_cursors.sql`).

use async_trait::async_trait;
use unibox_core::history::{SyncCursor, SyncCursorStore, SyncStream};
use unibox_core::{ChannelAccountId, Result, TenantId, Timestamp};

use crate::error::PgResultExt;
use crate::inbox::PostgresInbox;

#[async_trait]
impl SyncCursorStore for PostgresInbox {
    async fn cursor(
        &self,
        tenant: &TenantId,
        account: ChannelAccountId,
        stream: SyncStream,
    ) -> Result<Option<SyncCursor>> {
        const OP: &str = "postgres.sync_cursors.get";
        let name = tenant.as_str().to_owned();
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(
                            "SELECT position, finished, updated_at FROM sync_cursors \
                             WHERE tenant = $1 AND account = $2 AND stream = $3",
                        )
                        .await
                        .during(OP)?;
                    let row =
                        tx.query_opt(&statement, &[&name, &account.as_uuid(), &stream.as_str()]).await.during(OP)?;
                    Ok(row.map(|row| {
                        let at = Timestamp::from_unix_millis(row.get(2));
                        match (row.get::<_, bool>(1), row.get::<_, Option<String>>(0)) {
                            (true, _) => SyncCursor::finished(at),
                            (false, Some(position)) => SyncCursor::at(position, at),
                            (false, None) => SyncCursor::start(at),
                        }
                    }))
                })
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
        const OP: &str = "postgres.sync_cursors.save";
        let name = tenant.as_str().to_owned();
        let cursor = cursor.clone();
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(
                            "INSERT INTO sync_cursors (tenant, account, stream, position, finished, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant, account, stream) DO UPDATE SET \
                             position = excluded.position, finished = excluded.finished, \
                             updated_at = excluded.updated_at",
                        )
                        .await
                        .during(OP)?;
                    tx.execute(
                        &statement,
                        &[
                            &name,
                            &account.as_uuid(),
                            &stream.as_str(),
                            &cursor.position,
                            &cursor.finished,
                            &cursor.updated_at.as_unix_millis(),
                        ],
                    )
                    .await
                    .during(OP)?;
                    Ok(())
                })
            })
            .await
    }
}
