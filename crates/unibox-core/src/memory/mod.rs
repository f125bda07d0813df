//! In-memory implementations of the ports, for tests and trials. Nothing survives a restart.

mod audit;
mod tokens;

pub use audit::MemoryAuditLog;
pub use tokens::MemoryTokenStore;
