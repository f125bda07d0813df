#![doc = include_str!("../README.md")]

pub mod app;
pub mod event_id;
pub mod lenient;
pub mod nested;
pub mod orders;
pub mod outbound;
pub mod pulled;
pub mod push;
pub mod renewal;
pub mod signing;
pub mod transport;
