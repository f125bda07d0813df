//! Appending to the change log inside the transaction of the change.

use unibox_core::changes::{Change, Position};
use unibox_core::{Result, TenantId};

use std::sync::LazyLock;

use crate::bus::NOTIFY_TENANT_SQL;
use crate::error::PgResultExt;
use crate::pool::Tx;

const OP: &str = "postgres.changes.append";

/// Appends `$2` changes (the arrays `$3` to `$7`) to tenant `$1`'s log and notifies its
/// listeners; returns the last position handed out.
static APPEND: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH head AS (INSERT INTO change_heads AS h (tenant, last) VALUES ($1, $2) \
           ON CONFLICT (tenant) DO UPDATE SET last = h.last + excluded.last RETURNING last), \
         logged AS (INSERT INTO changes (tenant, position, at, kind, conversation, message, detail) \
           SELECT $1, head.last - $2 + u.n, u.at, u.kind, u.conversation, u.message, u.detail FROM head, \
             unnest($3::BIGINT[], $4::TEXT[], $5::UUID[], $6::UUID[], $7::TEXT[]) WITH ORDINALITY \
               AS u(at, kind, conversation, message, detail, n)) \
         SELECT head.last, {NOTIFY_TENANT_SQL} FROM head"
    )
});

/// Appends `changes` (of any tenants) in the caller's transaction; returns the position of the
/// last one ([`Position::START`] when there are none).
///
/// Call it last in the transaction, after every other lock: it takes each tenant's head row
/// (tenants in name order) and holds it until commit, so a tenant's positions commit in order.
/// It leaves `unibox.tenant` set to the last tenant it appended for. It notifies each tenant's
/// listeners ([`PostgresChangeBus`](crate::PostgresChangeBus)) as the transaction commits.
pub(crate) async fn append_all(tx: &Tx<'_>, changes: &[Change]) -> Result<Position> {
    let mut tenants: Vec<&TenantId> = changes.iter().map(|change| &change.tenant).collect();
    tenants.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    tenants.dedup();
    let mut last_position = Position::START;
    for tenant in tenants {
        let mine: Vec<&Change> = changes.iter().filter(|change| change.tenant == *tenant).collect();
        tx.execute("SELECT set_config('unibox.tenant', $1, true)", &[&tenant.as_str()]).await.during(OP)?;
        let count = i64::try_from(mine.len()).unwrap_or(i64::MAX);
        let at: Vec<i64> = mine.iter().map(|change| change.at.as_unix_millis()).collect();
        let kinds: Vec<&str> = mine.iter().map(|change| change.kind.as_str()).collect();
        let conversations: Vec<Option<uuid::Uuid>> =
            mine.iter().map(|change| change.conversation.map(|c| c.as_uuid())).collect();
        let messages: Vec<Option<uuid::Uuid>> = mine.iter().map(|change| change.message.map(|m| m.as_uuid())).collect();
        let details: Vec<Option<&str>> = mine.iter().map(|change| change.detail.as_deref()).collect();
        // One statement: the head row's update, the changes at the positions it hands out, and
        // the notification, so the head row is held for as few round trips as possible (it is
        // held until the commit). Every listening process hears of it when this transaction
        // commits, none if it rolls back.
        let statement = tx.prepare_cached(&APPEND).await.during(OP)?;
        let last: i64 = tx
            .query_one(&statement, &[&tenant.as_str(), &count, &at, &kinds, &conversations, &messages, &details])
            .await
            .during(OP)?
            .get(0);
        last_position = Position::new(u64::try_from(last).unwrap_or(0));
    }
    Ok(last_position)
}
