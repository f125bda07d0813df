//! Work a writer thread does between batches of jobs.

use rusqlite::Connection;

/// Work a writer thread does between batches of jobs, in transactions of its own: applying
/// the inbound journal (the inbox's writer) or pruning it (the journal's writer).
pub(crate) trait Background: Send {
    /// Called after each commit of a batch of jobs, outside any transaction, before the jobs'
    /// callers hear of it.
    fn after_commit(&mut self, conn: &Connection);
    /// Someone asked for the work to be done now ([`Writer::wake`]).
    fn wake(&mut self) {}
    /// Whether there is work; while there is, the writer does not block waiting for jobs.
    fn pending(&self) -> bool;
    /// Whether pending work should run now when no job waits (default: always); otherwise the
    /// writer looks again every [`BACKGROUND_POLL`].
    fn ready(&self) -> bool {
        true
    }
    /// Whether the work should run even though jobs wait (a backlog too long to leave).
    fn urgent(&self) -> bool;
    /// Runs one round, committing its own transaction; false if it failed (it is retried).
    fn run(&mut self, conn: &Connection) -> bool;
}

/// How often a writer with pending background work that is not [`ready`](Background::ready)
/// looks again.
pub(super) const BACKGROUND_POLL: std::time::Duration = std::time::Duration::from_millis(1);
