//! [`ChannelAccounts`] for [`PostgresInbox`]: accounts are tenant rows; routing goes through the
//! owner's `unibox_route` function over the account registry (see `0001_foundation.sql`).

use async_trait::async_trait;
use tokio_postgres::Row;
use unibox_core::inbox::ChannelAccounts;
use unibox_core::{
    ChannelAccount, ChannelAccountId, ChannelId, ChannelKind, Error, ErrorKind, Result, TenantId, Timestamp,
};

use crate::codec::{from_json, parsed, to_json};
use crate::error::PgResultExt;
use crate::inbox::PostgresInbox;
use crate::pool::Tx;

/// The account columns [`account_from_row`] reads.
const COLUMNS: &str = "id, tenant, channel, kind, platform_account_id, display_name, state, connected_at";

fn account_from_row(row: &Row, operation: &'static str) -> Result<ChannelAccount> {
    Ok(ChannelAccount {
        id: ChannelAccountId::from_uuid(row.get(0)),
        tenant: parsed(row.get(1), operation, "account tenant", |s| TenantId::new(s))?,
        channel: parsed(row.get(2), operation, "account channel", |s| ChannelId::new(s))?,
        kind: ChannelKind::new(row.get::<_, String>(3)),
        platform_account_id: row.get(4),
        display_name: row.get(5),
        state: from_json(row.get(6), operation, "account state")?,
        connected_at: Timestamp::from_unix_millis(row.get(7)),
    })
}

fn not_found(operation: &'static str) -> Error {
    Error::new(ErrorKind::NotFound, "channel account not found").with_operation(operation)
}

/// Registers `account` of the transaction's tenant for webhook routing (the owner's
/// `unibox_register_account`): a `Conflict` when another account of its channel has its
/// platform account id, or when its id is another tenant's.
pub(crate) async fn register(tx: &Tx<'_>, account: &ChannelAccount, operation: &'static str) -> Result<()> {
    let registered: String = tx
        .query_one(
            "SELECT unibox_register_account($1, $2, $3)",
            &[&account.id.as_uuid(), &account.channel.as_str(), &account.platform_account_id],
        )
        .await
        .during(operation)?
        .get(0);
    match registered.as_str() {
        "ok" => Ok(()),
        "taken" => {
            Err(Error::new(ErrorKind::Conflict, "another account of this channel already has this platform account id")
                .with_operation(operation)
                .with_context("channel", &account.channel))
        }
        _ => Err(Error::new(ErrorKind::Conflict, "an account with this id belongs to another tenant")
            .with_operation(operation)),
    }
}

#[async_trait]
impl ChannelAccounts for PostgresInbox {
    async fn save_account(&self, account: &ChannelAccount) -> Result<()> {
        const OP: &str = "postgres.save_account";
        let state = to_json(&account.state, "account state")?;
        let account = account.clone();
        let tenant = account.tenant.clone();
        self.db
            .tenant_tx(OP, &tenant, move |tx| {
                Box::pin(async move {
                    register(tx, &account, OP).await?;
                    let statement = tx
                        .prepare_cached(
                            "INSERT INTO accounts (tenant, id, channel, kind, platform_account_id, display_name, state, \
                             connected_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                             ON CONFLICT (tenant, id) DO UPDATE SET channel = excluded.channel, kind = excluded.kind, \
                               platform_account_id = excluded.platform_account_id, \
                               display_name = excluded.display_name, state = excluded.state, \
                               connected_at = excluded.connected_at",
                        )
                        .await
                        .during(OP)?;
                    tx.execute(
                        &statement,
                        &[
                            &account.tenant.as_str(),
                            &account.id.as_uuid(),
                            &account.channel.as_str(),
                            &account.kind.as_str(),
                            &account.platform_account_id,
                            &account.display_name,
                            &state,
                            &account.connected_at.as_unix_millis(),
                        ],
                    )
                    .await
                    .during(OP)?;
                    Ok(())
                })
            })
            .await
    }

    async fn account(&self, tenant: &TenantId, id: ChannelAccountId) -> Result<ChannelAccount> {
        const OP: &str = "postgres.account";
        let name = tenant.as_str().to_owned();
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE tenant = $1 AND id = $2");
                    let statement = tx.prepare_cached(&sql).await.during(OP)?;
                    let row = tx.query_opt(&statement, &[&name, &id.as_uuid()]).await.during(OP)?;
                    row.map(|row| account_from_row(&row, OP)).transpose()?.ok_or_else(|| not_found(OP))
                })
            })
            .await
    }

    async fn accounts(&self, tenant: &TenantId) -> Result<Vec<ChannelAccount>> {
        const OP: &str = "postgres.accounts";
        let name = tenant.as_str().to_owned();
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE tenant = $1 ORDER BY connected_at, id");
                    let statement = tx.prepare_cached(&sql).await.during(OP)?;
                    let rows = tx.query(&statement, &[&name]).await.during(OP)?;
                    rows.iter().map(|row| account_from_row(row, OP)).collect()
                })
            })
            .await
    }

    async fn route(&self, channel: &ChannelId, platform_account_id: &str) -> Result<Option<ChannelAccount>> {
        const OP: &str = "postgres.route";
        let (channel, platform_account_id) = (channel.as_str().to_owned(), platform_account_id.to_owned());
        self.db
            .shared_tx(OP, move |tx| {
                Box::pin(async move {
                    let routed = tx
                        .query_opt(
                            "SELECT tenant, account FROM unibox_route($1, $2)",
                            &[&channel, &platform_account_id],
                        )
                        .await
                        .during(OP)?;
                    let Some(routed) = routed else { return Ok(None) };
                    let (tenant, account): (String, uuid::Uuid) = (routed.get(0), routed.get(1));
                    // The rest of the transaction belongs to the routed tenant.
                    tx.execute("SELECT set_config('unibox.tenant', $1, true)", &[&tenant]).await.during(OP)?;
                    let sql = format!("SELECT {COLUMNS} FROM accounts WHERE tenant = $1 AND id = $2");
                    let statement = tx.prepare_cached(&sql).await.during(OP)?;
                    let row = tx.query_opt(&statement, &[&tenant, &account]).await.during(OP)?;
                    row.map(|row| account_from_row(&row, OP)).transpose()
                })
            })
            .await
    }
}
