//! [`WriteTx`]: the group-commit transaction as a write job sees it.

use std::cell::RefCell;
use std::ops::Deref;

use rusqlite::Connection;

use crate::sealing::Sealer;

/// A change to the search index, applied when the batch commits: the plaintext trigram index
/// of a plain inbox, or the blind index (`message_terms`) of a sealed one.
#[derive(Debug)]
enum SearchChange {
    Remove(i64),
    Add(i64, String),
    RemoveTerms(i64),
    /// A sealed message's blind tokens (computed in the job, under its tenant's key).
    AddTerms(i64, String),
}

/// The group-commit transaction as a write job sees it: the connection (through `Deref`), the
/// search-index changes the batch will apply before it commits, and what to undo outside SQLite
/// if a job's writes are rolled back.
pub(crate) struct WriteTx<'c> {
    conn: &'c Connection,
    search: RefCell<Vec<SearchChange>>,
    undo: RefCell<Vec<Undo>>,
}

/// Reverts a change a job made outside the database (to memory shared with other threads) when
/// the job's writes are rolled back.
type Undo = Box<dyn FnOnce()>;

/// A position in a transaction's pending changes (see [`WriteTx::mark`]).
#[derive(Clone, Copy)]
pub(crate) struct Mark {
    search: usize,
    undo: usize,
}

impl Deref for WriteTx<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn
    }
}

impl<'c> WriteTx<'c> {
    pub(crate) fn new(conn: &'c Connection) -> Self {
        WriteTx { conn, search: RefCell::new(Vec::new()), undo: RefCell::new(Vec::new()) }
    }

    /// Makes `text` the searchable text of message `seq` (none: not searchable), in the index
    /// of the current job's sealer.
    pub(crate) fn set_search_text(&self, seq: i64, text: Option<&str>) -> unibox_core::Result<()> {
        let sealer = crate::sealing::current("sqlite.search_index")?;
        self.search.borrow_mut().push(match sealer {
            Sealer::Plain => SearchChange::Remove(seq),
            Sealer::Sealed(..) => SearchChange::RemoveTerms(seq),
        });
        self.add_search_text(seq, text)
    }

    /// Indexes the text of a message inserted in this transaction.
    pub(crate) fn add_search_text(&self, seq: i64, text: Option<&str>) -> unibox_core::Result<()> {
        let Some(text) = text.filter(|text| !text.is_empty()) else {
            return Ok(());
        };
        let change = match crate::sealing::current("sqlite.search_index")? {
            Sealer::Plain => SearchChange::Add(seq, text.to_owned()),
            Sealer::Sealed(seal, _) => {
                let terms = crate::sealing::terms::index_row(seal.as_ref(), text);
                if terms.is_empty() {
                    return Ok(());
                }
                SearchChange::AddTerms(seq, terms)
            }
        };
        self.search.borrow_mut().push(change);
        Ok(())
    }

    /// Registers `undo`, run if the writes made so far in the current job (or the whole batch)
    /// are rolled back, and dropped unrun once they commit.
    pub(crate) fn on_rollback(&self, undo: impl FnOnce() + 'static) {
        self.undo.borrow_mut().push(Box::new(undo));
    }

    /// The position to roll the pending changes back to with [`rollback_to`](Self::rollback_to).
    pub(crate) fn mark(&self) -> Mark {
        Mark { search: self.search.borrow().len(), undo: self.undo.borrow().len() }
    }

    /// Forgets the search changes of a job that was rolled back and undoes what it changed
    /// outside the database, newest first.
    pub(crate) fn rollback_to(&self, mark: Mark) {
        self.search.borrow_mut().truncate(mark.search);
        let undone = self.undo.borrow_mut().split_off(mark.undo);
        undone.into_iter().rev().for_each(|undo| undo());
    }

    /// Rolls every pending change back: the transaction did not commit.
    pub(crate) fn rollback_all(&self) {
        self.rollback_to(Mark { search: 0, undo: 0 });
    }

    /// The transaction committed: nothing is to be undone any more.
    pub(crate) fn committed(&self) {
        self.undo.borrow_mut().clear();
    }

    /// Applies the batch's search-index changes, in order.
    pub(crate) fn apply_search(&self) -> rusqlite::Result<()> {
        self.apply_search_sharing(|| {})
    }

    /// [`apply_search`](Self::apply_search), calling `between` after each change (the
    /// journal's applier yields the core there now and then).
    pub(crate) fn apply_search_sharing(&self, mut between: impl FnMut()) -> rusqlite::Result<()> {
        for change in self.search.borrow_mut().drain(..) {
            match change {
                SearchChange::Remove(seq) => {
                    self.conn.prepare_cached("DELETE FROM message_search WHERE rowid = ?1")?.execute([seq])?;
                }
                SearchChange::Add(seq, text) => {
                    self.conn
                        .prepare_cached("INSERT INTO message_search (rowid, text) VALUES (?1, ?2)")?
                        .execute(rusqlite::params![seq, text])?;
                }
                SearchChange::RemoveTerms(seq) => {
                    self.conn.prepare_cached("DELETE FROM message_terms WHERE rowid = ?1")?.execute([seq])?;
                }
                SearchChange::AddTerms(seq, terms) => {
                    self.conn
                        .prepare_cached("INSERT INTO message_terms (rowid, terms) VALUES (?1, ?2)")?
                        .execute(rusqlite::params![seq, terms])?;
                }
            }
            between();
        }
        Ok(())
    }
}
