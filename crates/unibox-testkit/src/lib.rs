//! Conformance suites for unibox implementations, ours and yours.
//!
//! Each suite is a set of `pub async fn`s taking the implementation under test, in the style
//! of object_store's integration suite: call the ones your backend or adapter supports from
//! your own tests.

pub mod channel;
pub mod http;

#[cfg(feature = "bench")]
pub mod bench;
#[cfg(all(feature = "disk", target_os = "linux"))]
pub mod disk;

pub mod ai;
pub mod audit;
pub mod bus;
pub mod catalog;
pub mod corpus;
pub mod credits;
pub mod export;
pub mod fixture_files;
pub mod fixtures;
pub mod harness;
pub mod inbox;
pub mod lifecycle;
pub mod logs;
pub mod metering;
pub mod mutation;
pub mod orders;
pub mod scan;
pub mod sessions;
pub mod store;
pub mod tokens;
