//! [`AgentRoster`] for [`PostgresInbox`]: the agents automatic assignment chooses from (table
//! `agents`) and whose turn it was last (`assignment_turns`), migration `0021_roster.sql`.

use async_trait::async_trait;
use tokio_postgres::Row;
use unibox_core::workflow::{Agent, AgentRoster, next_turn};
use unibox_core::{ChannelAccountId, Error, ErrorKind, Result, TenantId, UserId};

use crate::codec::{from_json, parsed, to_json};
use crate::error::PgResultExt;
use crate::inbox::PostgresInbox;
use crate::pool::{Tx, lock_key};

const COLUMNS: &str = "user_id, available, capacity, accounts";

fn not_on_roster(user: &UserId, operation: &'static str) -> Error {
    Error::new(ErrorKind::NotFound, format!("{user} is not on the agent roster")).with_operation(operation)
}

fn agent_from_row(row: &Row, operation: &'static str) -> Result<Agent> {
    Ok(Agent {
        user: parsed(row.get(0), operation, "agent user", |s| UserId::new(s))?,
        available: row.get(1),
        capacity: u32::try_from(row.get::<_, i64>(2))
            .map_err(|_| crate::error::corrupt(operation, "agent capacity"))?,
        accounts: from_json::<Vec<ChannelAccountId>>(row.get(3), operation, "agent accounts")?,
    })
}

async fn agent(tx: &Tx<'_>, tenant: &str, user: &UserId, operation: &'static str) -> Result<Agent> {
    let statement = tx
        .prepare_cached(&format!("SELECT {COLUMNS} FROM agents WHERE tenant = $1 AND user_id = $2"))
        .await
        .during(operation)?;
    let row = tx.query_opt(&statement, &[&tenant, &user.as_str()]).await.during(operation)?;
    row.map(|row| agent_from_row(&row, operation)).transpose()?.ok_or_else(|| not_on_roster(user, operation))
}

#[async_trait]
impl AgentRoster for PostgresInbox {
    async fn save_agent(&self, tenant: &TenantId, agent: &Agent) -> Result<()> {
        const OP: &str = "postgres.save_agent";
        let mut accounts = agent.accounts.clone();
        accounts.sort();
        accounts.dedup();
        let accounts = to_json(&accounts, "agent accounts")?;
        let (name, agent) = (tenant.as_str().to_owned(), agent.clone());
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(
                            "INSERT INTO agents (tenant, user_id, available, capacity, accounts) \
                             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant, user_id) DO UPDATE \
                             SET available = excluded.available, capacity = excluded.capacity, \
                             accounts = excluded.accounts",
                        )
                        .await
                        .during(OP)?;
                    let capacity = i64::from(agent.capacity);
                    tx.execute(&statement, &[&name, &agent.user.as_str(), &agent.available, &capacity, &accounts])
                        .await
                        .during(OP)?;
                    Ok(())
                })
            })
            .await
    }

    async fn agents(&self, tenant: &TenantId) -> Result<Vec<Agent>> {
        const OP: &str = "postgres.agents";
        let name = tenant.as_str().to_owned();
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(&format!(
                            "SELECT {COLUMNS} FROM agents WHERE tenant = $1 ORDER BY user_id COLLATE \"C\""
                        ))
                        .await
                        .during(OP)?;
                    let rows = tx.query(&statement, &[&name]).await.during(OP)?;
                    rows.iter().map(|row| agent_from_row(row, OP)).collect()
                })
            })
            .await
    }

    async fn agent(&self, tenant: &TenantId, user: &UserId) -> Result<Agent> {
        const OP: &str = "postgres.agent";
        let (name, user) = (tenant.as_str().to_owned(), user.clone());
        self.db.tenant_tx(OP, tenant, move |tx| Box::pin(async move { agent(tx, &name, &user, OP).await })).await
    }

    async fn remove_agent(&self, tenant: &TenantId, user: &UserId) -> Result<()> {
        const OP: &str = "postgres.remove_agent";
        let (name, user) = (tenant.as_str().to_owned(), user.clone());
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement =
                        tx.prepare_cached("DELETE FROM agents WHERE tenant = $1 AND user_id = $2").await.during(OP)?;
                    let removed = tx.execute(&statement, &[&name, &user.as_str()]).await.during(OP)?;
                    if removed == 0 { Err(not_on_roster(&user, OP)) } else { Ok(()) }
                })
            })
            .await
    }

    async fn set_available(&self, tenant: &TenantId, user: &UserId, available: bool) -> Result<Agent> {
        const OP: &str = "postgres.set_available";
        let (name, user) = (tenant.as_str().to_owned(), user.clone());
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached("UPDATE agents SET available = $3 WHERE tenant = $1 AND user_id = $2")
                        .await
                        .during(OP)?;
                    tx.execute(&statement, &[&name, &user.as_str(), &available]).await.during(OP)?;
                    agent(tx, &name, &user, OP).await
                })
            })
            .await
    }

    async fn take_turn(&self, tenant: &TenantId, eligible: &[UserId]) -> Result<Option<UserId>> {
        const OP: &str = "postgres.take_turn";
        let (name, eligible) = (tenant.as_str().to_owned(), eligible.to_vec());
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    // Reading the last turn and moving it is one step under the tenant's lock
                    // (from any process), so two concurrent assignments never get the same turn.
                    lock_key(tx, &format!("assignment-turn:{name}"), OP).await?;
                    let select = tx
                        .prepare_cached("SELECT last_user FROM assignment_turns WHERE tenant = $1")
                        .await
                        .during(OP)?;
                    let last: Option<String> = tx.query_opt(&select, &[&name]).await.during(OP)?.map(|row| row.get(0));
                    let last = last.and_then(|user| UserId::new(user).ok());
                    let chosen = next_turn(&eligible, last.as_ref());
                    if let Some(user) = &chosen {
                        let upsert = tx
                            .prepare_cached(
                                "INSERT INTO assignment_turns (tenant, last_user) VALUES ($1, $2) \
                                 ON CONFLICT (tenant) DO UPDATE SET last_user = excluded.last_user",
                            )
                            .await
                            .during(OP)?;
                        tx.execute(&upsert, &[&name, &user.as_str()]).await.during(OP)?;
                    }
                    Ok(chosen)
                })
            })
            .await
    }
}
