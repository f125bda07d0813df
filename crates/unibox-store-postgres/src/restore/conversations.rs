//! Conversations with their tags, and the notes on them (bodies sealed as the workflow seals
//! them).

use std::collections::HashSet;

use unibox_core::{Conversation, Error, ErrorKind, InternalNote, Result};
use uuid::Uuid;

use super::OP;
use super::batch::{batches, part};
use crate::error::PgResultExt;
use crate::pool::Tx;
use crate::sealing::{Seal, field};

/// The conversations of an export, as rows of `conversations` and `conversation_tags`.
#[derive(Default)]
pub(super) struct Conversations {
    /// (account, contact): one conversation per contact and account.
    pairs: HashSet<(Uuid, Uuid)>,
    id: Vec<Uuid>,
    account: Vec<Uuid>,
    contact: Vec<Uuid>,
    status: Vec<&'static str>,
    snoozed_until: Vec<Option<i64>>,
    assignee: Vec<Option<String>>,
    unread_count: Vec<i64>,
    last_inbound_at: Vec<Option<i64>>,
    last_activity_at: Vec<i64>,
    created_at: Vec<i64>,
    tag_conversation: Vec<Uuid>,
    tag: Vec<String>,
}

impl Conversations {
    pub(super) fn push(&mut self, conversation: &Conversation) -> Result<()> {
        let id = conversation.id.as_uuid();
        if !self.pairs.insert((conversation.account.as_uuid(), conversation.contact.as_uuid())) {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "another conversation of the export is with this contact on this account",
            ));
        }
        let mut tags = HashSet::new();
        if let Some(tag) = conversation.tags.iter().find(|tag| !tags.insert(tag.as_str())) {
            return Err(Error::new(ErrorKind::InvalidInput, format!("the tag {tag:?} is listed twice")));
        }
        self.id.push(id);
        self.account.push(conversation.account.as_uuid());
        self.contact.push(conversation.contact.as_uuid());
        self.status.push(conversation.status.as_str());
        self.snoozed_until.push(conversation.snoozed_until.map(|at| at.as_unix_millis()));
        self.assignee.push(conversation.assignee.as_ref().map(|user| user.as_str().to_owned()));
        self.unread_count.push(i64::from(conversation.unread_count));
        self.last_inbound_at.push(conversation.last_inbound_at.map(|at| at.as_unix_millis()));
        self.last_activity_at.push(conversation.last_activity_at.as_unix_millis());
        self.created_at.push(conversation.created_at.as_unix_millis());
        for tag in &conversation.tags {
            self.tag_conversation.push(id);
            self.tag.push(tag.clone());
        }
        Ok(())
    }

    pub(super) async fn insert(&self, tx: &Tx<'_>, tenant: &str) -> Result<()> {
        let conversations = tx
            .prepare_cached(
                "INSERT INTO conversations (tenant, id, account, contact, status, snoozed_until, assignee, \
                   unread_count, last_inbound_at, last_activity_at, created_at) \
                 SELECT $1::TEXT, * FROM unnest($2::UUID[], $3::UUID[], $4::UUID[], $5::TEXT[], $6::BIGINT[], \
                   $7::TEXT[], $8::BIGINT[], $9::BIGINT[], $10::BIGINT[], $11::BIGINT[])",
            )
            .await
            .during(OP)?;
        for rows in batches(self.id.len()) {
            tx.execute(
                &conversations,
                &[
                    &tenant,
                    &part(&self.id, &rows),
                    &part(&self.account, &rows),
                    &part(&self.contact, &rows),
                    &part(&self.status, &rows),
                    &part(&self.snoozed_until, &rows),
                    &part(&self.assignee, &rows),
                    &part(&self.unread_count, &rows),
                    &part(&self.last_inbound_at, &rows),
                    &part(&self.last_activity_at, &rows),
                    &part(&self.created_at, &rows),
                ],
            )
            .await
            .during(OP)?;
        }
        let tags = tx
            .prepare_cached(
                "INSERT INTO conversation_tags (tenant, conversation, tag) \
                 SELECT $1::TEXT, * FROM unnest($2::UUID[], $3::TEXT[])",
            )
            .await
            .during(OP)?;
        for rows in batches(self.tag.len()) {
            let (conversation, tag) = (part(&self.tag_conversation, &rows), part(&self.tag, &rows));
            tx.execute(&tags, &[&tenant, &conversation, &tag]).await.during(OP)?;
        }
        Ok(())
    }
}

/// The notes of an export, as `notes` rows.
#[derive(Default)]
pub(super) struct Notes {
    ids: HashSet<Uuid>,
    id: Vec<Uuid>,
    conversation: Vec<Uuid>,
    author: Vec<String>,
    body_sealed: Vec<Vec<u8>>,
    created_at: Vec<i64>,
}

impl Notes {
    pub(super) fn push(&mut self, seal: &Seal, note: &InternalNote) -> Result<()> {
        if !self.ids.insert(note.id.as_uuid()) {
            return Err(Error::new(ErrorKind::InvalidInput, "another note of the export has this id"));
        }
        self.id.push(note.id.as_uuid());
        self.conversation.push(note.conversation.as_uuid());
        self.author.push(note.author.as_str().to_owned());
        self.body_sealed.push(seal.seal(field::NOTE_BODY, note.id.as_bytes(), &note.body)?);
        self.created_at.push(note.created_at.as_unix_millis());
        Ok(())
    }

    pub(super) async fn insert(&self, tx: &Tx<'_>, tenant: &str) -> Result<()> {
        let notes = tx
            .prepare_cached(
                "INSERT INTO notes (tenant, id, conversation, author, body_sealed, created_at) \
                 SELECT $1::TEXT, * FROM unnest($2::UUID[], $3::UUID[], $4::TEXT[], $5::BYTEA[], $6::BIGINT[])",
            )
            .await
            .during(OP)?;
        for rows in batches(self.id.len()) {
            tx.execute(
                &notes,
                &[
                    &tenant,
                    &part(&self.id, &rows),
                    &part(&self.conversation, &rows),
                    &part(&self.author, &rows),
                    &part(&self.body_sealed, &rows),
                    &part(&self.created_at, &rows),
                ],
            )
            .await
            .during(OP)?;
        }
        Ok(())
    }
}
