//! [`ChangeLog`] for [`PostgresInbox`]: one small row per change, appended in the transaction
//! of the change ([`append_all`]), positions per tenant from the tenant's head row.

mod append;
mod logged;

pub(crate) use append::append_all;

use async_trait::async_trait;
use unibox_core::changes::{Change, ChangeKind, ChangeLog, InboxEvent, Position, check_read_limit, trimmed_error};
use unibox_core::{ConversationId, Error, ErrorKind, MessageId, Result, TenantId, Timestamp};

use crate::error::{PgResultExt, corrupt};
use crate::inbox::PostgresInbox;
use crate::pool::Tx;

fn position(value: i64) -> Position {
    Position::new(u64::try_from(value).unwrap_or(0))
}

/// The tenant's head row: the last position handed out and the last one trimmed.
async fn head_row(tx: &Tx<'_>, tenant: &TenantId, operation: &'static str) -> Result<(Position, Position)> {
    let statement = tx
        .prepare_cached("SELECT last, trimmed_through FROM change_heads WHERE tenant = $1")
        .await
        .during(operation)?;
    Ok(match tx.query_opt(&statement, &[&tenant.as_str()]).await.during(operation)? {
        Some(row) => (position(row.get(0)), position(row.get(1))),
        None => (Position::START, Position::START),
    })
}

#[async_trait]
impl ChangeLog for PostgresInbox {
    async fn append(&self, changes: Vec<Change>) -> Result<Position> {
        const OP: &str = "postgres.changes.append";
        let Some(first) = changes.first() else {
            return Err(Error::new(ErrorKind::InvalidInput, "nothing to append").with_operation(OP));
        };
        let tenant = first.tenant.clone();
        self.db.tenant_tx(OP, &tenant, move |tx| Box::pin(async move { append_all(tx, &changes).await })).await
    }

    async fn read(&self, tenant: &TenantId, after: Position, limit: usize) -> Result<Vec<InboxEvent>> {
        const OP: &str = "postgres.changes.read";
        check_read_limit(limit)?;
        let owner = tenant.clone();
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let (_, trimmed) = head_row(tx, &owner, OP).await?;
                    if trimmed > Position::START && after < trimmed {
                        return Err(trimmed_error(after, trimmed).with_operation(OP));
                    }
                    let statement = tx
                        .prepare_cached(
                            "SELECT position, at, kind, conversation, message, detail FROM changes \
                             WHERE tenant = $1 AND position > $2 ORDER BY position LIMIT $3",
                        )
                        .await
                        .during(OP)?;
                    let after = i64::try_from(after.value()).unwrap_or(i64::MAX);
                    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
                    let rows = tx.query(&statement, &[&owner.as_str(), &after, &limit]).await.during(OP)?;
                    rows.iter()
                        .map(|row| {
                            let kind: ChangeKind =
                                row.get::<_, &str>(2).parse().map_err(|_| corrupt(OP, "change kind"))?;
                            let mut change = Change::new(owner.clone(), Timestamp::from_unix_millis(row.get(1)), kind)
                                .maybe_conversation(row.get::<_, Option<uuid::Uuid>>(3).map(ConversationId::from_uuid));
                            change.message = row.get::<_, Option<uuid::Uuid>>(4).map(MessageId::from_uuid);
                            change.detail = row.get(5);
                            Ok(InboxEvent { position: position(row.get(0)), change })
                        })
                        .collect()
                })
            })
            .await
    }

    async fn head(&self, tenant: &TenantId) -> Result<Position> {
        const OP: &str = "postgres.changes.head";
        let owner = tenant.clone();
        self.db.tenant_tx(OP, tenant, move |tx| Box::pin(async move { Ok(head_row(tx, &owner, OP).await?.0) })).await
    }

    async fn trim(&self, tenant: &TenantId, before: Timestamp) -> Result<u64> {
        const OP: &str = "postgres.changes.trim";
        let owner = tenant.clone();
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(
                            "WITH gone AS (DELETE FROM changes WHERE tenant = $1 AND at < $2 RETURNING position) \
                             SELECT count(*), max(position) FROM gone",
                        )
                        .await
                        .during(OP)?;
                    let row =
                        tx.query_one(&statement, &[&owner.as_str(), &before.as_unix_millis()]).await.during(OP)?;
                    let (deleted, last): (i64, Option<i64>) = (row.get(0), row.get(1));
                    if let Some(last) = last {
                        tx.execute(
                            "UPDATE change_heads SET trimmed_through = GREATEST(trimmed_through, $2) WHERE tenant = $1",
                            &[&owner.as_str(), &last],
                        )
                        .await
                        .during(OP)?;
                    }
                    Ok(u64::try_from(deleted).unwrap_or(0))
                })
            })
            .await
    }
}
