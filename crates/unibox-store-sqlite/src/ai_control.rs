//! The handoff state: [`ConversationControlStore`] for [`SqliteInbox`] (table `ai_control`,
//! schema version 11). Each transition reads and writes the row in one write transaction of the
//! single writer, so it is atomic across every hub sharing the file. Every query names the tenant.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use unibox_core::ai::{ControlChange, ControlState, ConversationControlStore, HandoffReason};
use unibox_core::{ConversationId, Result, TenantId, Timestamp};

use crate::error::{SqlResultExt, corrupt};
use crate::inbox::SqliteInbox;

fn load(
    conn: &rusqlite::Connection,
    tenant: &TenantId,
    conversation: ConversationId,
    operation: &'static str,
) -> Result<ControlState> {
    let row = conn
        .prepare_cached(
            "SELECT control, version, bot_replies, reason, changed_at FROM ai_control WHERE tenant = ?1 AND conversation = ?2",
        )
        .during(operation)?
        .query_row(params![tenant.as_str(), conversation.as_bytes()], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, i64>(1)?,
                row.get::<_, i64>(2)?,
                row.get::<_, Option<String>>(3)?,
                row.get::<_, Option<i64>>(4)?,
            ))
        })
        .optional()
        .during(operation)?;
    let Some((control, version, bot_replies, reason, changed_at)) = row else { return Ok(ControlState::default()) };
    ControlState::from_stored(&control, version, bot_replies, reason.as_deref(), changed_at)
        .map_err(|what| corrupt(operation, what))
}

fn save(
    conn: &rusqlite::Connection,
    tenant: &TenantId,
    conversation: ConversationId,
    state: &ControlState,
    operation: &'static str,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO ai_control (tenant, conversation, control, version, bot_replies, reason, changed_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (tenant, conversation) DO UPDATE SET \
         control = excluded.control, version = excluded.version, bot_replies = excluded.bot_replies, \
         reason = excluded.reason, changed_at = excluded.changed_at",
    )
    .during(operation)?
    .execute(params![
        tenant.as_str(),
        conversation.as_bytes(),
        state.control.as_str(),
        state.stored_version(),
        i64::from(state.bot_replies),
        state.reason.as_ref().map(HandoffReason::code),
        state.changed_at.map(Timestamp::as_unix_millis),
    ])
    .during(operation)?;
    Ok(())
}

#[async_trait]
impl ConversationControlStore for SqliteInbox {
    async fn state(&self, tenant: &TenantId, conversation: ConversationId) -> Result<ControlState> {
        const OP: &str = "sqlite.ai_control.state";
        let tenant = tenant.clone();
        self.read(OP, move |conn| load(conn, &tenant, conversation, OP)).await
    }

    async fn change(
        &self,
        tenant: &TenantId,
        conversation: ConversationId,
        change: ControlChange,
    ) -> Result<(ControlState, bool)> {
        const OP: &str = "sqlite.ai_control.change";
        let tenant = tenant.clone();
        self.writer
            .write(OP, move |conn| {
                let current = load(conn, &tenant, conversation, OP)?;
                match change.apply(&current) {
                    Some(next) => {
                        save(conn, &tenant, conversation, &next, OP)?;
                        Ok((next, true))
                    }
                    None => Ok((current, false)),
                }
            })
            .await
    }
}
