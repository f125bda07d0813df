#![doc = include_str!("../README.md")]

pub mod event_id;
pub mod lenient;
pub mod nested;
pub mod push;
pub mod renewal;
pub mod signing;
pub mod transport;
