//! Ingest: routed events become contacts, conversations, messages and changes to them, with the
//! rules of [`unibox_core::ingest`].
//!
//! [`unibox_core::ingest::prepare`] runs before the transaction: it validates the events and
//! encodes their JSON, so a bad event fails the call before anything is written. The call's events are then stored in
//! one transaction, each tenant's events with `unibox.tenant` set to that tenant (the setting is
//! switched between tenants inside the transaction): either every event of the call is stored,
//! or none is. Calls made at the same time share the transaction, each in a savepoint of its
//! own ([`group`]: group commit).
//!
//! Across processes, deduplication is the database's: an event id is the `events` primary key,
//! and every write keyed by a platform message id or a customer identity first takes a
//! transaction advisory lock on that key, so two transactions storing the same message (or a
//! message and its amendment) run one after the other, and the second sees the first.

pub(crate) mod apply;
pub(crate) mod fast;
pub(crate) mod group;
pub(crate) mod store;

use async_trait::async_trait;
use unibox_core::Result;
use unibox_core::inbox::{EventIngest, IngestOutcome, RoutedEvent};
use unibox_core::ingest::prepare;

use crate::inbox::PostgresInbox;
use crate::sealing::Access;

const OP: &str = "postgres.ingest";

#[async_trait]
impl EventIngest for PostgresInbox {
    async fn ingest(&self, events: Vec<RoutedEvent>) -> Result<Vec<IngestOutcome>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        // Every event is validated and encoded before anything is written.
        let mut groups: Vec<group::TenantEvents> = Vec::new();
        let mut prepared = Vec::with_capacity(events.len());
        for (position, event) in events.into_iter().enumerate() {
            prepared.push((position, event.tenant.clone(), prepare(event, OP)?));
        }
        for (position, tenant, event) in prepared {
            match groups.iter_mut().find(|(t, ..)| *t == tenant) {
                Some((_, _, group)) => group.push((position, event)),
                None => {
                    let seal = self.keys.seal(&tenant, Access::Write).await?;
                    groups.push((tenant, seal, vec![(position, event)]));
                }
            }
        }
        let count = groups.iter().map(|(_, _, group)| group.len()).sum::<usize>();
        self.group_commit.store(&self.db, groups, count).await
    }
}
