//! The workspace's command-line examples that need every channel, built with every channel and
//! no feature flags: `cargo run -q --example inspect_webhook -- --channel messenger ...` from
//! the repository root (see the README, "Debug a captured webhook"). Not published; embedders
//! depend on the `unibox` facade instead.
//!
//! ```
//! // This crate has no API of its own: its example is the product.
//! assert!(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/inspect_webhook.rs").exists());
//! ```
