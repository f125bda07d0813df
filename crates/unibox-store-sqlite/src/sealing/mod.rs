//! Conversation data sealed at rest: how the inbox seals, opens and blinds the columns that hold
//! personal data, with the tenant's [`TenantSeal`] from a [`DataKeys`] (the vault).
//!
//! An inbox is opened either sealed (what [`SqliteStore::open`](crate::SqliteStore::open) does
//! by default) or plain ([`SqliteInbox::open`](crate::SqliteInbox::open), or
//! [`SqliteOptions::conversation_sealing`](crate::SqliteOptions::conversation_sealing)`(false)`),
//! and the file records which ([`mode`]): a file never holds both.
//!
//! Every database job that touches a sealed column runs inside [`scope`] with the [`Sealer`] of
//! its tenant, fetched (asynchronously, cached by the vault) before the job is queued: the
//! writer and reader threads are synchronous. A job that reaches a sealed column outside a
//! scope fails with an error instead of writing plaintext.
//!
//! - [`body`]: a stored message's platform id, reply-to and content sealed as one value.
//! - [`cells`]: sealing, opening and blinding one column value.
//! - [`in_place`]: sealing a plaintext file in place.
//! - [`message_ids`]: the blind index of platform message ids, in insertion generations.
//! - [`mode`]: which mode a file is in, decided once and checked at every open.
//! - [`terms`]: the blind full-text index of sealed messages.

pub(crate) mod body;
pub(crate) mod cells;
pub(crate) mod in_place;
pub(crate) mod message_ids;
pub(crate) mod mode;
pub(crate) mod terms;

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};

use unibox_core::privacy::{DataKeys, TenantSeal};
use unibox_core::{Error, ErrorKind, Result, TenantId};

use message_ids::MessageIds;

/// How one job stores conversation data: in plaintext (a plain inbox) or sealed for one tenant.
#[derive(Clone, Debug)]
pub(crate) enum Sealer {
    /// A plain inbox: values are stored as they are.
    Plain,
    /// A sealed inbox: values are sealed with the tenant's keys. The second field is the
    /// inbox's index of platform message ids ([`message_ids`]); without one (sealing a file in
    /// place) those ids are stored as bare blinds.
    Sealed(Arc<dyn TenantSeal>, Option<Arc<MessageIds>>),
}

thread_local! {
    static CURRENT: RefCell<Option<Sealer>> = const { RefCell::new(None) };
}

/// Runs `work` with `sealer` as the sealer of this thread's current job.
pub(crate) fn scope<T>(sealer: &Sealer, work: impl FnOnce() -> T) -> T {
    let previous = CURRENT.with(|current| current.replace(Some(sealer.clone())));
    // Restored on unwind too, so a panicking job cannot leave its keys to the next one.
    struct Restore(Option<Sealer>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            CURRENT.with(|current| *current.borrow_mut() = previous);
        }
    }
    let _restore = Restore(previous);
    work()
}

/// The sealer of this thread's current job; an error outside a [`scope`] (a bug: the job would
/// otherwise store plaintext in a sealed file).
pub(crate) fn current(operation: &'static str) -> Result<Sealer> {
    CURRENT.with(|current| current.borrow().clone()).ok_or_else(|| {
        Error::new(ErrorKind::Unexpected, "conversation data reached the database without the tenant's sealer")
            .with_operation(operation)
            .permanent()
    })
}

/// The inbox's side of sealing: its mode, its keys once attached, and the seals for writing of
/// the tenants seen (the journal's applier, a synchronous thread, takes them from here).
pub(crate) struct Sealing {
    sealed: bool,
    /// Weak: the keys (the store's vault) hold the inbox as their backend.
    keys: OnceLock<Weak<dyn DataKeys>>,
    /// Set once the keys are attached and the seals of the journal's waiting tenants loaded:
    /// until then the journal is not applied.
    ready: AtomicBool,
    writers: Mutex<HashMap<TenantId, Arc<dyn TenantSeal>>>,
    /// The generations of the platform message id index (a sealed inbox's), loaded at open.
    message_ids: Arc<MessageIds>,
}

impl fmt::Debug for Sealing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sealing").field("sealed", &self.sealed).finish_non_exhaustive()
    }
}

/// Whether a job writes or only reads (a read never creates a tenant's data key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
}

impl Sealing {
    /// A plain inbox's: nothing sealed, always ready.
    pub(crate) fn plain() -> Self {
        Sealing::new(false)
    }

    /// A sealed inbox's, waiting for its keys ([`attach`](Self::attach)).
    pub(crate) fn sealed() -> Self {
        Sealing::new(true)
    }

    fn new(sealed: bool) -> Self {
        Sealing {
            sealed,
            keys: OnceLock::new(),
            ready: AtomicBool::new(!sealed),
            writers: Mutex::default(),
            message_ids: Arc::new(MessageIds::new()),
        }
    }

    /// Loads the generations of the platform message id index from the opened file (a sealed
    /// inbox's; a plain one looks ids up as they are).
    pub(crate) fn load_message_ids(&self, conn: &rusqlite::Connection) -> Result<()> {
        if self.sealed { self.message_ids.load(conn) } else { Ok(()) }
    }

    pub(crate) fn is_sealed(&self) -> bool {
        self.sealed
    }

    /// Whether the journal may be applied (a sealed inbox: once its keys are attached).
    pub(crate) fn ready(&self) -> bool {
        self.ready.load(Ordering::Acquire)
    }

    /// Attaches the keys; `waiting` are the tenants with events in the journal, whose seals are
    /// loaded before applying starts.
    pub(crate) async fn attach(&self, keys: Weak<dyn DataKeys>, waiting: Vec<TenantId>) -> Result<()> {
        if self.keys.set(keys).is_err() {
            return Err(Error::new(ErrorKind::Configuration, "the inbox already has its keys"));
        }
        for tenant in waiting {
            match self.sealer(&tenant, Access::Write).await {
                Ok(_) => {}
                // A shredded tenant's waiting events cannot be applied; they go to the event log
                // still sealed when the applier meets them.
                Err(error) => tracing::warn!(%error, %tenant, "no keys for a tenant with events in the journal"),
            }
        }
        self.ready.store(true, Ordering::Release);
        Ok(())
    }

    /// The sealer of `tenant` for a job.
    pub(crate) async fn sealer(&self, tenant: &TenantId, access: Access) -> Result<Sealer> {
        if !self.sealed {
            return Ok(Sealer::Plain);
        }
        let keys = self.keys.get().ok_or_else(|| {
            Error::new(
                ErrorKind::Configuration,
                "this inbox seals conversation data and has no keys: open it with SqliteStore::open",
            )
        })?;
        let keys = keys.upgrade().ok_or_else(|| {
            Error::new(
                ErrorKind::Configuration,
                "the store holding this inbox's keys was dropped; keep the SqliteStore (or the Store built from it)",
            )
        })?;
        let seal = match access {
            Access::Write => {
                let seal = keys.for_writing(tenant).await?;
                self.writers.lock().unwrap_or_else(PoisonError::into_inner).insert(tenant.clone(), seal.clone());
                seal
            }
            Access::Read => keys.for_reading(tenant).await?,
        };
        Ok(Sealer::Sealed(seal, Some(Arc::clone(&self.message_ids))))
    }

    /// The sealer for writing of a tenant seen before, for the journal's applier.
    pub(crate) fn cached_writer(&self, tenant: &TenantId) -> Result<Sealer> {
        if !self.sealed {
            return Ok(Sealer::Plain);
        }
        let writers = self.writers.lock().unwrap_or_else(PoisonError::into_inner);
        let ids = Some(Arc::clone(&self.message_ids));
        writers.get(tenant).cloned().map(|seal| Sealer::Sealed(seal, ids)).ok_or_else(|| {
            Error::new(ErrorKind::TokenInvalid, format!("no data key is loaded for tenant {tenant}")).permanent()
        })
    }
}
