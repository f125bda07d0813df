#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod accounts;
mod audit;
mod codec;
mod credits;
mod error;
mod inbox;
mod ingest;
mod metering;
mod migrations;
mod options;
mod pool;
mod privacy;
mod reads;
mod roles;
mod roster;
mod rows;
mod sealing;
mod sessions;
#[cfg(feature = "testing")]
pub mod testing;
mod tokens;

pub use inbox::{PostgresInbox, migrate};
pub use migrations::SCHEMA_VERSION;
pub use options::PostgresOptions;

#[cfg(all(test, feature = "testing"))]
mod tests;
