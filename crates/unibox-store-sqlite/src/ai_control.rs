//! The handoff state: [`ConversationControlStore`] for [`SqliteInbox`] (table `ai_control`,
//! schema version 11). Each transition reads and writes the row in one write transaction of the
//! single writer, so it is atomic across every hub sharing the file. Every query names the tenant.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use unibox_core::ai::{Control, ControlState, ConversationControlStore, HandoffReason};
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
    let control = match control.as_str() {
        "bot" => Control::Bot,
        "human" => Control::Human,
        _ => return Err(corrupt(operation, "conversation control")),
    };
    Ok(ControlState {
        control,
        version: u64::try_from(version).map_err(|_| corrupt(operation, "conversation control version"))?,
        bot_replies: u32::try_from(bot_replies).map_err(|_| corrupt(operation, "bot reply count"))?,
        reason: reason.as_deref().map(HandoffReason::from_code),
        changed_at: changed_at.map(Timestamp::from_unix_millis),
    })
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
        i64::try_from(state.version).unwrap_or(i64::MAX),
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

    async fn take_for_human(
        &self,
        tenant: &TenantId,
        conversation: ConversationId,
        reason: HandoffReason,
        at: Timestamp,
    ) -> Result<(ControlState, bool)> {
        const OP: &str = "sqlite.ai_control.take_for_human";
        let tenant = tenant.clone();
        self.writer
            .write(OP, move |conn| {
                let current = load(conn, &tenant, conversation, OP)?;
                match current.take_for_human(reason, at) {
                    Some(next) => {
                        save(conn, &tenant, conversation, &next, OP)?;
                        Ok((next, true))
                    }
                    None => Ok((current, false)),
                }
            })
            .await
    }

    async fn release_to_bot(
        &self,
        tenant: &TenantId,
        conversation: ConversationId,
        at: Timestamp,
    ) -> Result<ControlState> {
        const OP: &str = "sqlite.ai_control.release_to_bot";
        let tenant = tenant.clone();
        self.writer
            .write(OP, move |conn| {
                let current = load(conn, &tenant, conversation, OP)?;
                match current.release_to_bot(at) {
                    Some(next) => {
                        save(conn, &tenant, conversation, &next, OP)?;
                        Ok(next)
                    }
                    None => Ok(current),
                }
            })
            .await
    }

    async fn admit_bot_reply(
        &self,
        tenant: &TenantId,
        conversation: ConversationId,
        expected_version: u64,
        at: Timestamp,
    ) -> Result<Option<ControlState>> {
        const OP: &str = "sqlite.ai_control.admit_bot_reply";
        let tenant = tenant.clone();
        self.writer
            .write(OP, move |conn| {
                let current = load(conn, &tenant, conversation, OP)?;
                let next = current.admit_bot_reply(expected_version, at);
                if let Some(next) = &next {
                    save(conn, &tenant, conversation, next, OP)?;
                }
                Ok(next)
            })
            .await
    }
}
