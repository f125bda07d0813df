#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

#[macro_use]
mod rows;

mod apply;
mod codec;
mod connection;
mod error;
mod inbox;
mod ingest;
mod options;
mod outbound;
mod privacy;
mod queries;
mod readers;
mod schema;
mod search;
mod tokens;
mod writer;

pub use inbox::SqliteInbox;
pub use options::{SqliteOptions, Synchronous};
pub use schema::SCHEMA_VERSION;
