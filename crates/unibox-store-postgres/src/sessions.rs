//! [`SessionStore`] for [`PostgresInbox`]: sessions by token hash (table `sessions`, migration
//! `0022_sessions.sql`).
//!
//! Finding a session by its token and removing expired sessions cross tenants: they go through
//! the owner's functions `unibox_find_session` and `unibox_remove_expired_sessions`, in a
//! transaction of no tenant. Everything else is tenant-scoped.

use async_trait::async_trait;
use tokio_postgres::Row;
use unibox_core::session::{SecondFactor, Session, SessionId, SessionStore, TokenHash};
use unibox_core::{Error, ErrorKind, Result, TenantId, Timestamp, UserId};
use uuid::Uuid;

use crate::codec::{from_json, parsed, to_json};
use crate::error::PgResultExt;
use crate::inbox::PostgresInbox;

/// The columns [`session_from`] reads, in the order `unibox_find_session` returns them.
const COLUMNS: &str =
    "id, tenant, user_id, role, created_at, last_active_at, idle_expires_at, expires_at, second_factor";

fn session_from(row: &Row, operation: &'static str) -> Result<Session> {
    Ok(Session {
        id: SessionId::from_bytes(*row.get::<_, Uuid>(0).as_bytes()),
        tenant: parsed(row.get(1), operation, "session tenant", |s| TenantId::new(s))?,
        user: parsed(row.get(2), operation, "session user", |s| UserId::new(s))?,
        role: parsed(row.get(3), operation, "session role", |s| s.parse())?,
        created_at: Timestamp::from_unix_millis(row.get(4)),
        last_active_at: Timestamp::from_unix_millis(row.get(5)),
        idle_expires_at: Timestamp::from_unix_millis(row.get(6)),
        expires_at: Timestamp::from_unix_millis(row.get(7)),
        second_factor: from_json::<SecondFactor>(row.get(8), operation, "session second factor")?,
    })
}

fn id(session: SessionId) -> Uuid {
    Uuid::from_bytes(*session.as_bytes())
}

#[async_trait]
impl SessionStore for PostgresInbox {
    async fn insert(&self, session: &Session, token: &TokenHash) -> Result<()> {
        const OP: &str = "postgres.sessions.insert";
        let second_factor = to_json(&session.second_factor, "second factor")?;
        let (session, token) = (session.clone(), *token);
        let tenant = session.tenant.clone();
        self.db
            .tenant_tx(OP, &tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(
                            "INSERT INTO sessions (token_hash, id, tenant, user_id, role, created_at, last_active_at, \
                             idle_expires_at, expires_at, second_factor) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                        )
                        .await
                        .during(OP)?;
                    tx.execute(
                        &statement,
                        &[
                            &token.0.as_slice(),
                            &id(session.id),
                            &session.tenant.as_str(),
                            &session.user.as_str(),
                            &session.role.as_str(),
                            &session.created_at.as_unix_millis(),
                            &session.last_active_at.as_unix_millis(),
                            &session.idle_expires_at.as_unix_millis(),
                            &session.expires_at.as_unix_millis(),
                            &second_factor,
                        ],
                    )
                    .await
                    .during(OP)?;
                    Ok(())
                })
            })
            .await
    }

    async fn find(&self, token: &TokenHash) -> Result<Option<Session>> {
        const OP: &str = "postgres.sessions.find";
        let token = *token;
        self.db
            .shared_tx(OP, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(&format!("SELECT {COLUMNS} FROM unibox_find_session($1)"))
                        .await
                        .during(OP)?;
                    let row = tx.query_opt(&statement, &[&token.0.as_slice()]).await.during(OP)?;
                    row.map(|row| session_from(&row, OP)).transpose()
                })
            })
            .await
    }

    async fn update(&self, session: &Session) -> Result<()> {
        const OP: &str = "postgres.sessions.update";
        let second_factor = to_json(&session.second_factor, "second factor")?;
        let session = session.clone();
        let tenant = session.tenant.clone();
        self.db
            .tenant_tx(OP, &tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(
                            "UPDATE sessions SET last_active_at = $3, idle_expires_at = $4, second_factor = $5 \
                             WHERE tenant = $1 AND id = $2",
                        )
                        .await
                        .during(OP)?;
                    let changed = tx
                        .execute(
                            &statement,
                            &[
                                &session.tenant.as_str(),
                                &id(session.id),
                                &session.last_active_at.as_unix_millis(),
                                &session.idle_expires_at.as_unix_millis(),
                                &second_factor,
                            ],
                        )
                        .await
                        .during(OP)?;
                    if changed == 0 {
                        return Err(Error::new(ErrorKind::NotFound, "the session has ended").with_operation(OP));
                    }
                    Ok(())
                })
            })
            .await
    }

    async fn list(&self, tenant: &TenantId, user: Option<&UserId>) -> Result<Vec<Session>> {
        const OP: &str = "postgres.sessions.list";
        let name = tenant.as_str().to_owned();
        let user = user.map(|user| user.as_str().to_owned());
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached(&format!(
                            "SELECT {COLUMNS} FROM sessions WHERE tenant = $1 AND ($2::TEXT IS NULL OR user_id = $2) \
                             ORDER BY created_at, id"
                        ))
                        .await
                        .during(OP)?;
                    let rows = tx.query(&statement, &[&name, &user]).await.during(OP)?;
                    rows.iter().map(|row| session_from(row, OP)).collect()
                })
            })
            .await
    }

    async fn remove(&self, tenant: &TenantId, session: SessionId) -> Result<bool> {
        const OP: &str = "postgres.sessions.remove";
        let name = tenant.as_str().to_owned();
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement =
                        tx.prepare_cached("DELETE FROM sessions WHERE tenant = $1 AND id = $2").await.during(OP)?;
                    Ok(tx.execute(&statement, &[&name, &id(session)]).await.during(OP)? > 0)
                })
            })
            .await
    }

    async fn remove_user(&self, tenant: &TenantId, user: &UserId) -> Result<u64> {
        const OP: &str = "postgres.sessions.remove_user";
        let (name, user) = (tenant.as_str().to_owned(), user.as_str().to_owned());
        self.db
            .tenant_tx(OP, tenant, move |tx| {
                Box::pin(async move {
                    let statement = tx
                        .prepare_cached("DELETE FROM sessions WHERE tenant = $1 AND user_id = $2")
                        .await
                        .during(OP)?;
                    tx.execute(&statement, &[&name, &user]).await.during(OP)
                })
            })
            .await
    }

    async fn remove_expired(&self, now: Timestamp) -> Result<u64> {
        const OP: &str = "postgres.sessions.remove_expired";
        self.db
            .shared_tx(OP, move |tx| {
                Box::pin(async move {
                    let statement = tx.prepare_cached("SELECT unibox_remove_expired_sessions($1)").await.during(OP)?;
                    let removed: i64 = tx.query_one(&statement, &[&now.as_unix_millis()]).await.during(OP)?.get(0);
                    Ok(u64::try_from(removed).unwrap_or(0))
                })
            })
            .await
    }
}
