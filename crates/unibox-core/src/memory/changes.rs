//! [`ChangeLog`] for [`MemoryInbox`]: a bounded in-memory log, appended under the inbox's lock.

use std::collections::{HashMap, VecDeque};

use async_trait::async_trait;

use super::MemoryInbox;
use crate::changes::{Change, ChangeLog, InboxEvent, Position, check_read_limit, trimmed_error};
use crate::{Error, ErrorKind, Result, TenantId, Timestamp};

/// The most changes the memory log keeps; older ones are dropped as if trimmed, so a long-running
/// trial cannot grow without bound.
const MAX_KEPT: usize = 100_000;

/// The log itself, part of the inbox's state.
#[derive(Default)]
pub(super) struct ChangeState {
    log: VecDeque<InboxEvent>,
    last: u64,
    /// Per tenant: the last position removed by a trim (reads from before it fail).
    trimmed: HashMap<TenantId, Position>,
}

impl ChangeState {
    /// Appends a change; returns its position.
    pub(super) fn push(&mut self, change: Change) -> Position {
        self.last += 1;
        let position = Position::new(self.last);
        if self.log.len() >= MAX_KEPT
            && let Some(dropped) = self.log.pop_front()
        {
            self.trimmed.insert(dropped.change.tenant.clone(), dropped.position);
        }
        self.log.push_back(InboxEvent { position, change });
        position
    }

    /// Removes `tenant`'s changes that `remove` picks (retention and erasure); a reader behind
    /// the last one removed is told it missed changes, as after a trim. Returns how many.
    pub(super) fn remove_where(&mut self, tenant: &TenantId, remove: impl Fn(&Change) -> bool) -> u64 {
        let mut removed = 0;
        let mut last_removed = None;
        self.log.retain(|event| {
            let gone = &event.change.tenant == tenant && remove(&event.change);
            if gone {
                removed += 1;
                last_removed = Some(event.position);
            }
            !gone
        });
        if let Some(position) = last_removed {
            let through = self.trimmed.entry(tenant.clone()).or_insert(position);
            *through = (*through).max(position);
        }
        removed
    }

    /// How many of `tenant`'s changes `pick` picks.
    pub(super) fn count_where(&self, tenant: &TenantId, pick: impl Fn(&Change) -> bool) -> u64 {
        self.log.iter().filter(|event| &event.change.tenant == tenant && pick(&event.change)).count() as u64
    }

    /// Forgets every change of `tenant`, and its trim mark.
    pub(super) fn forget_tenant(&mut self, tenant: &TenantId) -> u64 {
        let before = self.log.len();
        self.log.retain(|event| &event.change.tenant != tenant);
        self.trimmed.remove(tenant);
        (before - self.log.len()) as u64
    }
}

#[async_trait]
impl ChangeLog for MemoryInbox {
    async fn append(&self, changes: Vec<Change>) -> Result<Position> {
        if changes.is_empty() {
            return Err(Error::new(ErrorKind::InvalidInput, "nothing to append"));
        }
        let mut state = self.state();
        let mut last = Position::START;
        for change in changes {
            last = state.changes.push(change);
        }
        Ok(last)
    }

    async fn read(&self, tenant: &TenantId, after: Position, limit: usize) -> Result<Vec<InboxEvent>> {
        check_read_limit(limit)?;
        let state = self.state();
        let log = &state.changes;
        if let Some(&kept_after) = log.trimmed.get(tenant)
            && after < kept_after
        {
            return Err(trimmed_error(after, kept_after).with_operation("memory.changes.read"));
        }
        // Positions are increasing: skip to the first one after `after`.
        let start = log.log.partition_point(|event| event.position <= after);
        Ok(log.log.range(start..).filter(|event| &event.change.tenant == tenant).take(limit).cloned().collect())
    }

    async fn head(&self, tenant: &TenantId) -> Result<Position> {
        let state = self.state();
        let log = &state.changes;
        let latest = log.log.iter().rev().find(|event| &event.change.tenant == tenant).map(|event| event.position);
        Ok(latest.or_else(|| log.trimmed.get(tenant).copied()).unwrap_or(Position::START))
    }

    async fn trim(&self, tenant: &TenantId, before: Timestamp) -> Result<u64> {
        let mut state = self.state();
        let log = &mut state.changes;
        let mut removed = 0;
        let mut last_removed = None;
        log.log.retain(|event| {
            let remove = &event.change.tenant == tenant && event.change.at < before;
            if remove {
                removed += 1;
                last_removed = Some(event.position);
            }
            !remove
        });
        if let Some(position) = last_removed {
            log.trimmed.insert(tenant.clone(), position);
        }
        Ok(removed)
    }
}
