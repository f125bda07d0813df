#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

#[macro_use]
mod rows;

mod ai_control;
mod analytics;
mod apply;
mod audit;
mod canned;
mod catalog;
mod changes;
mod codec;
mod connection;
mod contacts;
mod credits;
mod cursors;
mod error;
mod file_lock;
mod inbox;
mod ingest;
mod journal;
mod lifecycle;
mod metering;
mod options;
mod orders;
mod outbound;
mod outbox;
mod privacy;
mod queries;
mod reactions;
mod readers;
mod restore;
mod roster;
mod schema;
mod sealing;
mod search;
mod sessions;
mod store;
mod tokens;
mod workflow;
mod writer;

pub use inbox::SqliteInbox;
pub use lifecycle::SqliteLifecycle;
pub use options::{SqliteOptions, Synchronous};
pub use schema::SCHEMA_VERSION;
pub use sealing::in_place::SealReport;
pub use store::SqliteStore;
