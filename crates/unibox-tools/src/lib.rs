//! The workspace's command-line tools. The examples that need every channel, built with every
//! channel and no feature flags: `cargo run -q --example inspect_webhook -- --channel messenger ...`
//! from the repository root (see the README, "Debug a captured webhook"). And `unibox-store`,
//! which exports a tenant of a SQLite or PostgreSQL store as JSON Lines and imports such an
//! export into an empty store (`cargo run -q -p unibox-tools --bin unibox-store -- export --db inbox.db --tenant acme`;
//! see `docs/privacy.md`, "Export and import"). Not published; embedders depend on the `unibox`
//! facade instead.
//!
//! ```
//! // This crate has no API of its own: its example is the product.
//! assert!(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/inspect_webhook.rs").exists());
//! ```
