//! In-memory implementations of the ports, for tests and trials. Nothing survives a restart.

mod analytics;
mod audit;
mod bus;
mod catalog;
mod changes;
mod control;
mod credits;
mod cursors;
mod inbox;
mod lifecycle;
mod metering;
mod orders;
mod outbox;
mod privacy;
mod restore;
mod roster;
mod sessions;
mod store;
mod tokens;

pub use analytics::MemoryAnalytics;
pub use audit::MemoryAuditLog;
pub use bus::MemoryChangeBus;
pub use catalog::MemoryCatalog;
pub use control::MemoryConversationControl;
pub use credits::MemoryCreditLedger;
pub use cursors::MemorySyncCursors;
pub use inbox::MemoryInbox;
pub use metering::MemoryUsageMeter;
pub use orders::MemoryOrderStore;
pub use privacy::MemoryDeletionRequests;
pub use restore::MemoryRestore;
pub use roster::MemoryAgentRoster;
pub use sessions::MemorySessionStore;
pub use store::MemoryStore;
pub use tokens::{MemorySealedBackend, MemoryTokenStore};
