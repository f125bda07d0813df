#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod entities;
mod policy;
mod role_table;

pub use policy::CedarPolicy;
pub use role_table::ROLE_TABLE_POLICIES;
