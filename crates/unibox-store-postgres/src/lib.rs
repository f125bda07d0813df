#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod accounts;
mod ai_control;
mod audit;
mod bus;
mod catalog;
mod changes;
mod codec;
mod credits;
mod cursors;
mod error;
mod inbox;
mod ingest;
mod lifecycle;
mod metering;
mod migrations;
mod options;
mod orders;
mod outbound;
mod outbox;
mod pool;
mod privacy;
mod reads;
mod restore;
mod roles;
mod roster;
mod rows;
mod sealing;
mod sessions;
mod store;
mod tallies;
#[cfg(feature = "testing")]
pub mod testing;
mod tls;
mod tokens;
mod workflow;

pub use bus::PostgresChangeBus;
pub use inbox::{PostgresInbox, migrate};
pub use lifecycle::PostgresLifecycle;
pub use migrations::SCHEMA_VERSION;
pub use options::PostgresOptions;
pub use store::PostgresStore;

#[cfg(all(test, feature = "testing"))]
mod tests;
