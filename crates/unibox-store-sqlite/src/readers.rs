//! The pool of read-only connections. Reads run on tokio's blocking threads, so they never
//! block the async runtime, and in WAL mode they never wait for the writer.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::Connection;
use tokio::sync::Semaphore;
use unibox_core::{Error, ErrorKind, Result};

use crate::connection::open_reader;
use crate::options::SqliteOptions;

pub(crate) struct ReaderPool {
    path: PathBuf,
    options: SqliteOptions,
    idle: Mutex<Vec<Connection>>,
    permits: Arc<Semaphore>,
}

impl std::fmt::Debug for ReaderPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReaderPool").field("path", &self.path).field("readers", &self.options.readers).finish()
    }
}

impl ReaderPool {
    /// Opens `options.readers` connections to the file at `path` (already migrated).
    pub(crate) fn open(path: PathBuf, options: SqliteOptions) -> Result<Self> {
        let idle = (0..options.readers).map(|_| open_reader(&path, &options)).collect::<Result<Vec<_>>>()?;
        Ok(ReaderPool { permits: Arc::new(Semaphore::new(options.readers)), idle: Mutex::new(idle), path, options })
    }

    /// Runs `work` on an idle connection, on a blocking thread.
    pub(crate) async fn read<T, F>(self: &Arc<Self>, operation: &'static str, work: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T> + Send + 'static,
    {
        let permit = Arc::clone(&self.permits).acquire_owned().await.map_err(|_| {
            Error::new(ErrorKind::Storage, "the SQLite reader pool is closed").with_operation(operation)
        })?;
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::new(
                ErrorKind::Configuration,
                "SqliteInbox reads run on tokio's blocking threads; call them inside a tokio runtime",
            )
            .with_operation(operation)
        })?;
        let pool = Arc::clone(self);
        runtime
            .spawn_blocking(move || {
                let _permit = permit;
                let conn = pool.take()?;
                let result = work(&conn);
                pool.put_back(conn);
                result
            })
            .await
            .map_err(|err| {
                Error::new(ErrorKind::Unexpected, "a SQLite read panicked or was cancelled (please report this bug)")
                    .with_operation(operation)
                    .with_source(err)
            })?
    }

    /// An idle connection; a new one if a panicking read lost one.
    fn take(&self) -> Result<Connection> {
        let conn = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        match conn {
            Some(conn) => Ok(conn),
            None => open_reader(&self.path, &self.options),
        }
    }

    fn put_back(&self, conn: Connection) {
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).push(conn);
    }

    /// Closes the idle connections and refuses new reads.
    pub(crate) fn close(&self) {
        self.permits.close();
        self.idle.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
}
