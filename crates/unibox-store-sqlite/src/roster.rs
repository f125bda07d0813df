//! The agent roster of [`SqliteInbox`]: [`AgentRoster`] on the same file.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, Row, params};
use unibox_core::workflow::{Agent, AgentRoster, next_turn};
use unibox_core::{ChannelAccountId, Error, ErrorKind, Result, TenantId, UserId};

use crate::SqliteInbox;
use crate::codec::{json_column, parsed_column, to_json};
use crate::error::SqlResultExt;

fn not_on_roster(user: &UserId, operation: &'static str) -> Error {
    Error::new(ErrorKind::NotFound, format!("{user} is not on the agent roster")).with_operation(operation)
}

fn agent_from_row(row: &Row<'_>) -> rusqlite::Result<Agent> {
    Ok(Agent {
        user: parsed_column(row, 0, |s| UserId::new(s))?,
        available: row.get(1)?,
        capacity: row.get(2)?,
        accounts: json_column::<Vec<ChannelAccountId>>(row, 3)?,
    })
}

fn agent(conn: &Connection, tenant: &TenantId, user: &UserId, operation: &'static str) -> Result<Agent> {
    conn.prepare_cached("SELECT user_id, available, capacity, accounts FROM agents WHERE tenant = ?1 AND user_id = ?2")
        .during(operation)?
        .query_row(params![tenant.as_str(), user.as_str()], agent_from_row)
        .optional()
        .during(operation)?
        .ok_or_else(|| not_on_roster(user, operation))
}

#[async_trait]
impl AgentRoster for SqliteInbox {
    async fn save_agent(&self, tenant: &TenantId, agent: &Agent) -> Result<()> {
        const OP: &str = "sqlite.save_agent";
        let mut accounts = agent.accounts.clone();
        accounts.sort();
        accounts.dedup();
        let accounts = to_json(&accounts, "agent accounts")?;
        let (tenant, agent) = (tenant.clone(), agent.clone());
        self.writer
            .write(OP, move |conn| {
                conn.prepare_cached(
                    "INSERT INTO agents (tenant, user_id, available, capacity, accounts) VALUES (?1, ?2, ?3, ?4, ?5) \
                     ON CONFLICT (tenant, user_id) DO UPDATE SET available = excluded.available, \
                     capacity = excluded.capacity, accounts = excluded.accounts",
                )
                .during(OP)?
                .execute(params![tenant.as_str(), agent.user.as_str(), agent.available, agent.capacity, accounts])
                .during(OP)?;
                Ok(())
            })
            .await
    }

    async fn agents(&self, tenant: &TenantId) -> Result<Vec<Agent>> {
        const OP: &str = "sqlite.agents";
        let tenant = tenant.clone();
        self.read(OP, move |conn| {
            let mut statement = conn
                .prepare_cached(
                    "SELECT user_id, available, capacity, accounts FROM agents WHERE tenant = ?1 ORDER BY user_id",
                )
                .during(OP)?;
            let rows = statement.query_map(params![tenant.as_str()], agent_from_row).during(OP)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().during(OP)
        })
        .await
    }

    async fn agent(&self, tenant: &TenantId, user: &UserId) -> Result<Agent> {
        let (tenant, user) = (tenant.clone(), user.clone());
        self.read("sqlite.agent", move |conn| agent(conn, &tenant, &user, "sqlite.agent")).await
    }

    async fn remove_agent(&self, tenant: &TenantId, user: &UserId) -> Result<()> {
        const OP: &str = "sqlite.remove_agent";
        let (tenant, user) = (tenant.clone(), user.clone());
        self.writer
            .write(OP, move |conn| {
                let removed = conn
                    .prepare_cached("DELETE FROM agents WHERE tenant = ?1 AND user_id = ?2")
                    .during(OP)?
                    .execute(params![tenant.as_str(), user.as_str()])
                    .during(OP)?;
                if removed == 0 { Err(not_on_roster(&user, OP)) } else { Ok(()) }
            })
            .await
    }

    async fn set_available(&self, tenant: &TenantId, user: &UserId, available: bool) -> Result<Agent> {
        const OP: &str = "sqlite.set_available";
        let (tenant, user) = (tenant.clone(), user.clone());
        self.writer
            .write(OP, move |conn| {
                conn.prepare_cached("UPDATE agents SET available = ?3 WHERE tenant = ?1 AND user_id = ?2")
                    .during(OP)?
                    .execute(params![tenant.as_str(), user.as_str(), available])
                    .during(OP)?;
                agent(conn, &tenant, &user, OP)
            })
            .await
    }

    async fn take_turn(&self, tenant: &TenantId, eligible: &[UserId]) -> Result<Option<UserId>> {
        const OP: &str = "sqlite.take_turn";
        let (tenant, eligible) = (tenant.clone(), eligible.to_vec());
        // On the writer: reading the last turn and moving it is one step, so two concurrent
        // assignments never get the same turn.
        self.writer
            .write(OP, move |conn| {
                let last: Option<String> = conn
                    .prepare_cached("SELECT last_user FROM assignment_turns WHERE tenant = ?1")
                    .during(OP)?
                    .query_row(params![tenant.as_str()], |row| row.get(0))
                    .optional()
                    .during(OP)?;
                let last = last.and_then(|name| UserId::new(name).ok());
                let chosen = next_turn(&eligible, last.as_ref());
                if let Some(user) = &chosen {
                    conn.prepare_cached(
                        "INSERT INTO assignment_turns (tenant, last_user) VALUES (?1, ?2) \
                         ON CONFLICT (tenant) DO UPDATE SET last_user = excluded.last_user",
                    )
                    .during(OP)?
                    .execute(params![tenant.as_str(), user.as_str()])
                    .during(OP)?;
                }
                Ok(chosen)
            })
            .await
    }
}
