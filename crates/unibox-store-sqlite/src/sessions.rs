//! [`SessionStore`] for [`SqliteInbox`]: sessions in the inbox file (table `sessions`, schema
//! version 4), by token hash.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params};
use unibox_core::session::{SecondFactor, Session, SessionId, SessionStore, TokenHash};
use unibox_core::{Error, ErrorKind, Result, TenantId, Timestamp, UserId};

use crate::codec::to_json;
use crate::error::{SqlResultExt, corrupt};
use crate::inbox::SqliteInbox;

const COLUMNS: &str =
    "id, tenant, user_id, role, created_at, last_active_at, idle_expires_at, expires_at, second_factor";

type SessionRow = (Vec<u8>, String, String, String, i64, i64, i64, i64, String);

fn read_row(row: &Row<'_>) -> rusqlite::Result<SessionRow> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
    ))
}

fn session_from(row: SessionRow, operation: &'static str) -> Result<Session> {
    let (id, tenant, user, role, created, active, idle, expires, second_factor) = row;
    let id = <[u8; 16]>::try_from(id.as_slice()).map_err(|_| corrupt(operation, "session id"))?;
    Ok(Session {
        id: SessionId::from_bytes(id),
        tenant: tenant.parse::<TenantId>().map_err(|_| corrupt(operation, "session tenant"))?,
        user: user.parse::<UserId>().map_err(|_| corrupt(operation, "session user"))?,
        role: role.parse().map_err(|_| corrupt(operation, "session role"))?,
        created_at: Timestamp::from_unix_millis(created),
        last_active_at: Timestamp::from_unix_millis(active),
        idle_expires_at: Timestamp::from_unix_millis(idle),
        expires_at: Timestamp::from_unix_millis(expires),
        second_factor: serde_json::from_str::<SecondFactor>(&second_factor)
            .map_err(|_| corrupt(operation, "session second factor"))?,
    })
}

fn count(removed: usize) -> u64 {
    u64::try_from(removed).unwrap_or(u64::MAX)
}

#[async_trait]
impl SessionStore for SqliteInbox {
    async fn insert(&self, session: &Session, token: &TokenHash) -> Result<()> {
        const OP: &str = "sqlite.sessions.insert";
        let second_factor = to_json(&session.second_factor, "second factor")?;
        let session = session.clone();
        let token = *token;
        self.writer
            .write(OP, move |conn| {
                conn.prepare_cached(
                    "INSERT INTO sessions (token_hash, id, tenant, user_id, role, created_at, last_active_at, \
                     idle_expires_at, expires_at, second_factor) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                )
                .during(OP)?
                .execute(params![
                    token.0.as_slice(),
                    session.id.as_bytes().as_slice(),
                    session.tenant.as_str(),
                    session.user.as_str(),
                    session.role.as_str(),
                    session.created_at.as_unix_millis(),
                    session.last_active_at.as_unix_millis(),
                    session.idle_expires_at.as_unix_millis(),
                    session.expires_at.as_unix_millis(),
                    second_factor,
                ])
                .during(OP)?;
                Ok(())
            })
            .await
    }

    async fn find(&self, token: &TokenHash) -> Result<Option<Session>> {
        const OP: &str = "sqlite.sessions.find";
        let token = *token;
        self.read(OP, move |conn| {
            let row = conn
                .prepare_cached(&format!("SELECT {COLUMNS} FROM sessions WHERE token_hash = ?1"))
                .during(OP)?
                .query_row([token.0.as_slice()], read_row)
                .optional()
                .during(OP)?;
            row.map(|row| session_from(row, OP)).transpose()
        })
        .await
    }

    async fn update(&self, session: &Session) -> Result<()> {
        const OP: &str = "sqlite.sessions.update";
        let second_factor = to_json(&session.second_factor, "second factor")?;
        let session = session.clone();
        self.writer
            .write(OP, move |conn| {
                let changed = conn
                    .prepare_cached(
                        "UPDATE sessions SET last_active_at = ?3, idle_expires_at = ?4, second_factor = ?5 \
                         WHERE tenant = ?1 AND id = ?2",
                    )
                    .during(OP)?
                    .execute(params![
                        session.tenant.as_str(),
                        session.id.as_bytes().as_slice(),
                        session.last_active_at.as_unix_millis(),
                        session.idle_expires_at.as_unix_millis(),
                        second_factor,
                    ])
                    .during(OP)?;
                if changed == 0 {
                    return Err(Error::new(ErrorKind::NotFound, "the session has ended").with_operation(OP));
                }
                Ok(())
            })
            .await
    }

    async fn list(&self, tenant: &TenantId, user: Option<&UserId>) -> Result<Vec<Session>> {
        const OP: &str = "sqlite.sessions.list";
        let tenant = tenant.clone();
        let user = user.cloned();
        self.read(OP, move |conn| {
            let rows = match &user {
                Some(user) => conn
                    .prepare_cached(&format!(
                        "SELECT {COLUMNS} FROM sessions WHERE tenant = ?1 AND user_id = ?2 ORDER BY created_at, id"
                    ))
                    .during(OP)?
                    .query_map(params![tenant.as_str(), user.as_str()], read_row)
                    .during(OP)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .during(OP)?,
                None => conn
                    .prepare_cached(&format!(
                        "SELECT {COLUMNS} FROM sessions WHERE tenant = ?1 ORDER BY created_at, id"
                    ))
                    .during(OP)?
                    .query_map([tenant.as_str()], read_row)
                    .during(OP)?
                    .collect::<rusqlite::Result<Vec<_>>>()
                    .during(OP)?,
            };
            rows.into_iter().map(|row| session_from(row, OP)).collect()
        })
        .await
    }

    async fn remove(&self, tenant: &TenantId, id: SessionId) -> Result<bool> {
        const OP: &str = "sqlite.sessions.remove";
        let tenant = tenant.clone();
        self.writer
            .write(OP, move |conn| {
                let removed = conn
                    .prepare_cached("DELETE FROM sessions WHERE tenant = ?1 AND id = ?2")
                    .during(OP)?
                    .execute(params![tenant.as_str(), id.as_bytes().as_slice()])
                    .during(OP)?;
                Ok(removed > 0)
            })
            .await
    }

    async fn remove_user(&self, tenant: &TenantId, user: &UserId) -> Result<u64> {
        const OP: &str = "sqlite.sessions.remove_user";
        let tenant = tenant.clone();
        let user = user.clone();
        self.writer
            .write(OP, move |conn| {
                let removed = conn
                    .prepare_cached("DELETE FROM sessions WHERE tenant = ?1 AND user_id = ?2")
                    .during(OP)?
                    .execute(params![tenant.as_str(), user.as_str()])
                    .during(OP)?;
                Ok(count(removed))
            })
            .await
    }

    async fn remove_expired(&self, now: Timestamp) -> Result<u64> {
        const OP: &str = "sqlite.sessions.remove_expired";
        self.writer
            .write(OP, move |conn| {
                let removed = conn
                    .prepare_cached("DELETE FROM sessions WHERE idle_expires_at <= ?1 OR expires_at <= ?1")
                    .during(OP)?
                    .execute([now.as_unix_millis()])
                    .during(OP)?;
                Ok(count(removed))
            })
            .await
    }
}
