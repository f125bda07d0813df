#![doc = include_str!("../README.md")]

mod bus;
mod config;
mod error;
mod subject;
mod wire;

pub use bus::NatsChangeBus;
pub use config::{DEFAULT_DUPLICATE_WINDOW, DEFAULT_MAX_AGE, DEFAULT_STREAM, DEFAULT_SUBJECT_PREFIX, NatsBusConfig};
pub use subject::tenant_subject;
