//! The unibox token vault: platform access tokens encrypted at rest, isolated per tenant and
//! channel account, refreshed ahead of expiry exactly once, revocable one platform at a time,
//! and destroyed for a whole tenant by deleting one key.
//!
//! - **Envelope encryption.** Each tenant has a random 32-byte data key, stored only wrapped
//!   by a key-encryption key from a [`KeyProvider`] (built in: [`Keyring`], from an environment
//!   variable or a file; or your KMS). Per-purpose keys are derived from the data key with
//!   HKDF-SHA256. Token sets are sealed with XChaCha20-Poly1305 under a random 192-bit nonce
//!   (or AES-256-GCM-SIV, a per-deployment [`Cipher`] choice), in a versioned header naming the
//!   cipher and the key, with a key commitment checked before decryption and
//!   associated data binding tenant, channel account, purpose and key id.
//! - **[`Vault`]** implements [`TokenStore`](unibox_core::TokenStore) over a
//!   [`SealedTokenBackend`](unibox_core::SealedTokenBackend) that only ever sees ciphertext
//!   (in memory, or SQLite in `unibox-store-sqlite`).
//! - **Lifecycle.** [`get_fresh`](unibox_core::TokenStore::get_fresh) refreshes tokens through
//!   [`Channel::refresh_tokens`](unibox_core::Channel::refresh_tokens) a configurable margin
//!   before expiry: one refresh per account, however many callers and processes; a refused
//!   refresh makes the account need reauthorization.
//! - **Rotation** ([`Vault::rotate`]) rewraps data keys without decrypting a token, and
//!   resumes after a crash; **crypto-shredding** ([`Vault::shred_tenant`]) destroys a tenant's
//!   data keys.
//!
//! - **Conversation data.** The vault is also a
//!   [`DataKeys`](unibox_core::privacy::DataKeys): stores seal message content, notes and contact
//!   data under the same per-tenant data keys (purpose `conversation-data`), with keyed blind
//!   indexes for lookups and search, so shredding a tenant makes its conversations unreadable too.
//!
//! `docs/security.md` has the threat model and the procedures.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! use std::sync::Arc;
//! use unibox_core::memory::MemorySealedBackend;
//! use unibox_core::{ChannelAccountId, TokenSet, TokenStatus, TokenStore, Timestamp};
//! use unibox_vault::{Keyring, Vault};
//!
//! let keys = Keyring::new().with_key(1, [7u8; 32]); // production: Keyring::from_env("UNIBOX_VAULT_KEYS")
//! let vault = Vault::builder(Arc::new(MemorySealedBackend::new()), Arc::new(keys)).build();
//! let tenant = "acme".parse().unwrap();
//! let (line, shopee) = (ChannelAccountId::new(), ChannelAccountId::new());
//! vault.put(&tenant, line, TokenSet::new("line-channel-token")).await.unwrap();
//! vault.put(&tenant, shopee, TokenSet::new("shopee-access").with_refresh_token("shopee-refresh")).await.unwrap();
//! vault.revoke(&tenant, line, Timestamp::from_unix_seconds(1_800_000_000)).await.unwrap();
//! assert!(vault.get(&tenant, line).await.unwrap().is_none());
//! assert_eq!(vault.status(&tenant, shopee).await.unwrap(), TokenStatus::Active { expires_at: None });
//! # });
//! ```
#![forbid(unsafe_code)]

mod cipher;
mod codec;
mod conversation;
mod envelope;
mod events;
mod key_provider;
mod keyring;
mod nonces;
#[doc(hidden)]
pub mod primitives;
mod purpose;
mod refresh;
mod rotation;
mod store_keys;
mod vault;

pub use cipher::Cipher;
pub use events::VaultEvent;
pub use key_provider::{DataKey, KeyProvider, WrapContext};
pub use keyring::Keyring;
pub use purpose::Purpose;
pub use rotation::RotationReport;
pub use store_keys::StoreKeys;
pub use vault::{Vault, VaultBuilder};
