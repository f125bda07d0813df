//! Messages, their blind search terms and their reactions, stored exactly as ingest and the
//! outbound path store them: content, reply-to and platform id sealed, the platform id and the
//! reactor looked up by their blinds.

use std::collections::HashSet;

use unibox_core::{Error, ErrorKind, Message, Result};
use uuid::Uuid;

use super::OP;
use super::batch::{batches, part};
use crate::codec::{ERASED_CONTENT_JSON, direction_key, search_text, to_json};
use crate::error::PgResultExt;
use crate::pool::Tx;
use crate::rows::reaction_row;
use crate::sealing::{Seal, field, index};

/// The messages of an export, as rows of `messages`, `message_search` and `reactions`.
#[derive(Default)]
pub(super) struct Messages {
    ids: HashSet<Uuid>,
    /// (account, blind of the platform message id): unique, the deduplication key.
    platform_keys: HashSet<(Uuid, String)>,
    id: Vec<Uuid>,
    conversation: Vec<Uuid>,
    account: Vec<Uuid>,
    direction: Vec<&'static str>,
    author: Vec<String>,
    content: Vec<String>,
    content_sealed: Vec<Option<Vec<u8>>>,
    platform_message_id: Vec<Option<String>>,
    platform_message_id_sealed: Vec<Option<Vec<u8>>>,
    reply_to_sealed: Vec<Option<Vec<u8>>>,
    sent_at: Vec<i64>,
    recorded_at: Vec<i64>,
    edited_at: Vec<Option<i64>>,
    edited_by: Vec<Option<&'static str>>,
    unsent_at: Vec<Option<i64>>,
    delivery: Vec<String>,
    term: Vec<i64>,
    term_message: Vec<Uuid>,
    reaction_message: Vec<Uuid>,
    reactor: Vec<String>,
    reactor_sealed: Vec<Vec<u8>>,
    emoji_sealed: Vec<Vec<u8>>,
    reaction_at: Vec<i64>,
}

impl Messages {
    pub(super) fn push(&mut self, seal: &Seal, message: &Message) -> Result<()> {
        let id = message.id.as_uuid();
        let row = message.id.as_bytes();
        if !self.ids.insert(id) {
            return Err(Error::new(ErrorKind::InvalidInput, "another message of the export has this id"));
        }
        let platform_key =
            message.platform_message_id.as_deref().map(|given| seal.lookup(index::PLATFORM_MESSAGE_ID, given));
        if let Some(key) = &platform_key
            && !self.platform_keys.insert((message.account.as_uuid(), key.clone()))
        {
            return Err(Error::new(
                ErrorKind::InvalidInput,
                "another message of the export has this platform message id on this account",
            ));
        }
        let content_json = to_json(&message.content, "content")?;
        let (content, content_sealed) = if message.unsent_at.is_some() && content_json == ERASED_CONTENT_JSON {
            // Erased content holds nothing personal: stored as an unsend stores it, in the clear.
            (content_json, None)
        } else {
            (String::new(), Some(seal.seal(field::MESSAGE_CONTENT, row, &content_json)?))
        };
        self.id.push(id);
        self.conversation.push(message.conversation.as_uuid());
        self.account.push(message.account.as_uuid());
        self.direction.push(direction_key(message.direction));
        self.author.push(to_json(&message.author, "author")?);
        self.content.push(content);
        self.content_sealed.push(content_sealed);
        self.platform_message_id.push(platform_key);
        self.platform_message_id_sealed.push(seal.seal_opt(
            field::MESSAGE_PLATFORM_ID,
            row,
            message.platform_message_id.as_deref(),
        )?);
        self.reply_to_sealed.push(seal.seal_opt(field::MESSAGE_REPLY_TO, row, message.reply_to.as_deref())?);
        self.sent_at.push(message.sent_at.as_unix_millis());
        self.recorded_at.push(message.recorded_at.as_unix_millis());
        self.edited_at.push(message.edited_at.map(|at| at.as_unix_millis()));
        // The winning edit's event id is not exported; the empty id loses every tie, so a later
        // edit at the same millisecond still applies.
        self.edited_by.push(message.edited_at.map(|_| ""));
        self.unsent_at.push(message.unsent_at.map(|at| at.as_unix_millis()));
        self.delivery.push(to_json(&message.delivery, "delivery status")?);
        if message.unsent_at.is_none() {
            let terms = search_text(&message.content).map(|text| seal.terms(&text)).unwrap_or_default();
            let unique: HashSet<i64> = terms.into_iter().collect();
            self.term_message.extend(std::iter::repeat_n(id, unique.len()));
            self.term.extend(unique);
        }
        let mut reactors = HashSet::new();
        for reaction in &message.reactions {
            let reactor = seal.lookup(index::REACTOR, &reaction.by);
            if !reactors.insert(reactor.clone()) {
                return Err(Error::new(ErrorKind::InvalidInput, "a reactor of the message reacts twice"));
            }
            let row = reaction_row(message.id.as_bytes(), &reactor);
            self.reaction_message.push(id);
            self.reactor_sealed.push(seal.seal(field::REACTION_REACTOR, &row, &reaction.by)?);
            self.emoji_sealed.push(seal.seal(field::REACTION_EMOJI, &row, &reaction.emoji)?);
            self.reactor.push(reactor);
            self.reaction_at.push(reaction.at.as_unix_millis());
        }
        Ok(())
    }

    pub(super) async fn insert(&self, tx: &Tx<'_>, tenant: &str) -> Result<()> {
        let messages = tx
            .prepare_cached(
                "INSERT INTO messages (tenant, id, conversation, account, direction, author, content, content_sealed, \
                   platform_message_id, platform_message_id_sealed, reply_to_sealed, sent_at, recorded_at, edited_at, \
                   edited_by, unsent_at, delivery) \
                 SELECT $1::TEXT, * FROM unnest($2::UUID[], $3::UUID[], $4::UUID[], $5::TEXT[], $6::TEXT[], \
                   $7::TEXT[], $8::BYTEA[], $9::TEXT[], $10::BYTEA[], $11::BYTEA[], $12::BIGINT[], $13::BIGINT[], \
                   $14::BIGINT[], $15::TEXT[], $16::BIGINT[], $17::TEXT[])",
            )
            .await
            .during(OP)?;
        for rows in batches(self.id.len()) {
            tx.execute(
                &messages,
                &[
                    &tenant,
                    &part(&self.id, &rows),
                    &part(&self.conversation, &rows),
                    &part(&self.account, &rows),
                    &part(&self.direction, &rows),
                    &part(&self.author, &rows),
                    &part(&self.content, &rows),
                    &part(&self.content_sealed, &rows),
                    &part(&self.platform_message_id, &rows),
                    &part(&self.platform_message_id_sealed, &rows),
                    &part(&self.reply_to_sealed, &rows),
                    &part(&self.sent_at, &rows),
                    &part(&self.recorded_at, &rows),
                    &part(&self.edited_at, &rows),
                    &part(&self.edited_by, &rows),
                    &part(&self.unsent_at, &rows),
                    &part(&self.delivery, &rows),
                ],
            )
            .await
            .during(OP)?;
        }
        let terms = tx
            .prepare_cached(
                // One row per message (a message's terms may span two batches: they add up).
                "INSERT INTO message_search (tenant, message, terms) \
                 SELECT $1::TEXT, u.message, array_agg(u.term) FROM unnest($2::BIGINT[], $3::UUID[]) AS u (term, message) \
                 GROUP BY u.message \
                 ON CONFLICT (tenant, message) DO UPDATE SET terms = message_search.terms || excluded.terms",
            )
            .await
            .during(OP)?;
        for rows in batches(self.term.len()) {
            let (term, message) = (part(&self.term, &rows), part(&self.term_message, &rows));
            tx.execute(&terms, &[&tenant, &term, &message]).await.during(OP)?;
        }
        // The event that set a reaction is not exported; the empty id loses every tie.
        let reactions = tx
            .prepare_cached(
                "INSERT INTO reactions (tenant, message, reactor, reactor_sealed, emoji_sealed, at, event_id) \
                 SELECT $1::TEXT, u.message, u.reactor, u.reactor_sealed, u.emoji_sealed, u.at, '' \
                 FROM unnest($2::UUID[], $3::TEXT[], $4::BYTEA[], $5::BYTEA[], $6::BIGINT[]) \
                   AS u (message, reactor, reactor_sealed, emoji_sealed, at)",
            )
            .await
            .during(OP)?;
        for rows in batches(self.reactor.len()) {
            tx.execute(
                &reactions,
                &[
                    &tenant,
                    &part(&self.reaction_message, &rows),
                    &part(&self.reactor, &rows),
                    &part(&self.reactor_sealed, &rows),
                    &part(&self.emoji_sealed, &rows),
                    &part(&self.reaction_at, &rows),
                ],
            )
            .await
            .during(OP)?;
        }
        Ok(())
    }
}
