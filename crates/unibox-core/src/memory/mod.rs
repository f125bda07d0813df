//! In-memory implementations of the ports, for tests and trials. Nothing survives a restart.

mod audit;
mod inbox;
mod privacy;
mod tokens;

pub use audit::MemoryAuditLog;
pub use inbox::MemoryInbox;
pub use privacy::MemoryDeletionRequests;
pub use tokens::{MemorySealedBackend, MemoryTokenStore};
