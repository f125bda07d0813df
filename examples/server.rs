//! A runnable unibox inbox server: the webhook routes of every configured channel on one port,
//! an embedded SQLite inbox, health and readiness, configured by a TOML file.
//!
//! ```sh
//! cargo run --release --example server -- --config examples/server.example.toml --sandbox
//! ```
//!
//! - `--config <file>`: the configuration (default `examples/server.example.toml`): listen
//!   address, SQLite path, limits, channels and channel accounts. Secrets are never in the file:
//!   each channel names the environment variable that holds its secret.
//! - The store is one SQLite file: the inbox, the tokens sealed by the vault and the audit hash
//!   chain. The vault's keys come from `UNIBOX_VAULT_KEYS` (`1:` and the base64 of 32 random
//!   bytes: `echo "1:$(head -c 32 /dev/urandom | base64)"`). Configured accounts are ensured on
//!   every start, so a restart finds them (and their tokens) where they were.
//! - `--sandbox`: also starts a local fake receiver for the channels' outbound POSTs, points every
//!   channel's send URL at it, uses the sandbox secret for channels whose variable is unset, keeps
//!   the vault keys in a generated key file next to the database when `UNIBOX_VAULT_KEYS` is
//!   unset (`<database>.sandbox-vault-keys`, announced at start), and runs an echo bot that
//!   answers each new customer message, so replies can be watched flowing.
//!   It prints a ready-to-paste signed `curl` command at startup.
//! - Replies go through the inbox's durable outbox: a send that failed in a way known not to have
//!   delivered (429, 5xx, a refused connection) is retried by the delivery worker this server runs,
//!   with backoff, and a send left queued by a crash goes out after the restart.
//! - `[storage] backend = "postgres"` (built with `--features store-postgres`): the inbox in a
//!   shared PostgreSQL database instead, its connection strings in the variables the section
//!   names (`postgres_url_env`, optional `postgres_owner_url_env` to migrate at start; optional
//!   `postgres_ca_file`, CA certificates trusted for TLS), so several server processes serve one
//!   inbox (docs/server.md).
//! - `[bus]`: fans the inbox's changes out, so other processes on a shared store serve agents'
//!   live inboxes at once: `kind = "nats"` (the default, built with `--features bus-nats`; the
//!   URL comes from the variable the section names) or `kind = "postgres"` (`LISTEN`/`NOTIFY` on
//!   the store's own database, with `[storage] backend = "postgres"`).
//! - `[delivery] lease_ms`: how long a worker's claim on a send lasts (default 2 minutes): a
//!   process killed mid-send holds its sends this long, then another process sends them.
//! - `UNIBOX_LOG=debug` for more logging (`error`, `warn`, `info` (default), `debug`, `trace`).
//!
//! Post a signed webhook yourself (Standard Webhooks: HMAC-SHA256 of `{id}.{timestamp}.{body}`
//! with the base64-decoded part of the `whsec_` secret):
//!
//! ```sh
//! SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw   # the sandbox secret
//! BODY='{"account":"shop-bangkok","events":[{"kind":{"type":"message","customer":{"kind":"external","id":"cust-1001","display_name":"Somchai P."},"direction":"inbound","message_id":"m-1","content":{"type":"text","text":"Where is my order #A1234?"}}}]}'
//! ID=msg_$(date +%s%N); TS=$(date +%s)
//! KEY=$(printf '%s' "${SECRET#whsec_}" | base64 -d | od -An -tx1 | tr -d ' \n')
//! SIG=$(printf '%s.%s.%s' "$ID" "$TS" "$BODY" | openssl dgst -sha256 -mac HMAC -macopt "hexkey:$KEY" -binary | base64)
//! curl -i http://127.0.0.1:8080/webhooks/acme-orders -H 'content-type: application/json' \
//!   -H "webhook-id: $ID" -H "webhook-timestamp: $TS" -H "webhook-signature: v1,$SIG" -d "$BODY"
//! ```
//!
//! `200` means the event is durably stored; run the same command again (new timestamp, same
//! `webhook-id` if you keep `ID`) and it is recognized as a redelivery. A wrong secret gets
//! `401`, a body that is not a unibox payload `400` with the reason, an unknown `account` `404`.
//! With `--sandbox` the echo bot's reply shows up in the log a moment later. `curl
//! http://127.0.0.1:8080/ready` checks the store.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Deserialize;
use unibox::channels::webhook::{WebhookChannel, WebhookSecret};
use unibox::http::ReqwestClient;
use unibox::inbox::{ConversationQuery, MessageQuery};
use unibox::secrecy::{ExposeSecret, SecretString};
use unibox::server::WebhookServer;
use unibox::store::sqlite::{SqliteOptions, SqliteStore, Synchronous};
use unibox::vault::{Keyring, StoreKeys};
use unibox::{
    Actor, Channel, ChannelAccount, ChannelId, ChannelKind, Content, Direction, Hub, Role, TenantId, Timestamp,
    TokenSet,
};
use unibox_testkit::http::{FakeServer, ScriptedResponse};
use url::Url;

/// The secret `--sandbox` uses for channels whose environment variable is unset. Public: never
/// use it for a real sender.
const SANDBOX_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// The verify token `--sandbox` uses for Messenger channels whose variable is unset.
#[cfg(feature = "channel-messenger")]
const SANDBOX_VERIFY_TOKEN: &str = "sandbox-verify-token";

/// The sandbox's Telegram bot token, when its variable is unset: bot id 123456789 (the account's
/// platform_account_id), for the fake Bot API of `--sandbox` only.
#[cfg_attr(not(feature = "channel-telegram"), allow(dead_code))]
const SANDBOX_BOT_TOKEN: &str = "123456789:SANDBOXsandboxSANDBOXsandbox_0123456";

/// The configuration file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    listen: SocketAddr,
    database: PathBuf,
    #[serde(default)]
    public_url: Option<Url>,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    storage: Storage,
    /// How the delivery worker leases sends.
    #[serde(default)]
    delivery: DeliverySection,
    /// Real-time fan-out of the inbox's changes to other processes: NATS (feature `bus-nats`)
    /// or PostgreSQL `LISTEN`/`NOTIFY` (feature `store-postgres`).
    #[serde(default)]
    bus: Option<BusSection>,
    #[serde(default, rename = "channel")]
    channels: Vec<ChannelSection>,
    #[serde(default, rename = "account")]
    accounts: Vec<AccountSection>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Limits {
    max_body_bytes: Option<usize>,
    max_in_flight: Option<usize>,
    /// Connection limits (`unibox::server::ConnectionLimits`); unset ones keep their defaults.
    header_read_timeout_ms: Option<u64>,
    idle_timeout_ms: Option<u64>,
    max_connections: Option<usize>,
    max_connections_per_peer: Option<usize>,
    max_header_bytes: Option<usize>,
}

impl Limits {
    /// The connection limits this section sets, over the defaults.
    fn connections(&self) -> unibox::server::ConnectionLimits {
        let mut limits = unibox::server::ConnectionLimits::default();
        if let Some(ms) = self.header_read_timeout_ms {
            limits = limits.header_read_timeout(Duration::from_millis(ms));
        }
        if let Some(ms) = self.idle_timeout_ms {
            limits = limits.idle_timeout(Duration::from_millis(ms));
        }
        if let Some(limit) = self.max_connections {
            limits = limits.max_connections(limit);
        }
        if let Some(limit) = self.max_connections_per_peer {
            limits = limits.max_connections_per_peer(limit);
        }
        if let Some(limit) = self.max_header_bytes {
            limits = limits.max_header_bytes(limit);
        }
        limits
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Storage {
    /// `sqlite` (default: the file `database` names) or `postgres` (feature `store-postgres`).
    #[serde(default)]
    backend: Backend,
    /// SQLite only: when a commit reaches the disk (default `full`).
    synchronous: Option<SyncMode>,
    /// SQLite only: the page cache of each connection (the writer and every reader), in KiB.
    cache_size_kib: Option<u32>,
    /// SQLite only: the free space kept on the database's disk for applying what was
    /// acknowledged, in MiB.
    disk_reserve_mib: Option<u64>,
    /// SQLite only: conversation data sealed at rest under each tenant's data key (default
    /// true); false stores it in plaintext, for measuring what sealing costs. A file keeps the
    /// mode it was created with.
    conversation_sealing: Option<bool>,
    /// PostgreSQL: the variable holding the application role's connection string (it carries a
    /// password, so it is never in this file).
    postgres_url_env: Option<String>,
    /// PostgreSQL: the variable holding the owner role's connection string; when set, pending
    /// migrations are applied at start as that role.
    postgres_owner_url_env: Option<String>,
    /// PostgreSQL: the connection pool's size (default 16).
    postgres_pool_size: Option<usize>,
    /// PostgreSQL: a PEM file of CA certificates trusted for the server's TLS certificate,
    /// besides the system's roots (the connection string's `sslmode` decides whether TLS is used).
    postgres_ca_file: Option<std::path::PathBuf>,
}

/// Where the inbox is stored.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Backend {
    /// One SQLite file (`database`).
    #[default]
    Sqlite,
    /// A shared PostgreSQL database (feature `store-postgres`).
    Postgres,
}

/// A `[storage]`, `[delivery]` or `[bus]` error: a `Configuration` error naming the key.
fn storage_error(message: String) -> unibox::Error {
    unibox::Error::new(unibox::ErrorKind::Configuration, message)
}

/// The `[delivery]` section: how long the delivery worker's claim on a send lasts.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeliverySection {
    /// How long a worker's claim (lease) on a send lasts, in milliseconds (default 120000). A
    /// process killed mid-send holds its sends this long; then another process takes them over.
    /// Keep it well above the HTTP client's 30-second timeout: a claim that runs out while its
    /// send is still waiting for the platform lets another process send it again.
    lease_ms: Option<u64>,
}

impl DeliverySection {
    /// The hub's delivery options: the defaults with this section's lease.
    fn options(&self) -> unibox::Result<unibox::delivery::DeliveryOptions> {
        let options = unibox::delivery::DeliveryOptions::new();
        match self.lease_ms {
            None => Ok(options),
            Some(0) => Err(storage_error("[delivery] lease_ms must be at least 1".to_owned())),
            Some(ms) => Ok(options.lease(Duration::from_millis(ms))),
        }
    }
}

/// The PostgreSQL settings of a `[storage]` section with `backend = "postgres"`, checked.
#[derive(Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "store-postgres"), allow(dead_code))]
struct PostgresSettings {
    url_env: String,
    owner_url_env: Option<String>,
    pool_size: Option<usize>,
    ca_file: Option<std::path::PathBuf>,
}

impl Storage {
    /// Checks that the keys set belong to the chosen backend: `Ok(None)` for SQLite, the
    /// PostgreSQL settings for PostgreSQL; a key of the other backend is refused by name.
    fn postgres(&self) -> unibox::Result<Option<PostgresSettings>> {
        match self.backend {
            Backend::Sqlite => {
                let set = [
                    ("postgres_url_env", self.postgres_url_env.is_some()),
                    ("postgres_owner_url_env", self.postgres_owner_url_env.is_some()),
                    ("postgres_pool_size", self.postgres_pool_size.is_some()),
                    ("postgres_ca_file", self.postgres_ca_file.is_some()),
                ];
                if let Some((key, _)) = set.iter().find(|(_, set)| *set) {
                    return Err(storage_error(format!(
                        "[storage] {key} is for backend = \"postgres\"; this configuration uses backend = \"sqlite\""
                    )));
                }
                Ok(None)
            }
            Backend::Postgres => {
                let set = [
                    ("synchronous", self.synchronous.is_some()),
                    ("cache_size_kib", self.cache_size_kib.is_some()),
                    ("disk_reserve_mib", self.disk_reserve_mib.is_some()),
                    ("conversation_sealing", self.conversation_sealing.is_some()),
                ];
                if let Some((key, _)) = set.iter().find(|(_, set)| *set) {
                    return Err(storage_error(format!(
                        "[storage] {key} is a SQLite setting; remove it with backend = \"postgres\""
                    )));
                }
                let url_env = self.postgres_url_env.clone().ok_or_else(|| {
                    storage_error(
                        "[storage] backend = \"postgres\" needs postgres_url_env: the variable holding the \
                         application role's connection string"
                            .to_owned(),
                    )
                })?;
                if self.postgres_pool_size == Some(0) {
                    return Err(storage_error("[storage] postgres_pool_size must be at least 1".to_owned()));
                }
                Ok(Some(PostgresSettings {
                    url_env,
                    owner_url_env: self.postgres_owner_url_env.clone(),
                    pool_size: self.postgres_pool_size,
                    ca_file: self.postgres_ca_file.clone(),
                }))
            }
        }
    }
}

/// The opened store, as the hub's builder, and what the shutdown message reports about it.
struct OpenedStore {
    hub: unibox::hub::HubBuilder,
    /// The SQLite inbox (its journal), or `None` on PostgreSQL.
    sqlite: Option<Arc<unibox::store::sqlite::SqliteInbox>>,
    /// The PostgreSQL connection options, for a `[bus] kind = "postgres"` on the same database.
    #[cfg(feature = "store-postgres")]
    postgres: Option<unibox::store::postgres::PostgresOptions>,
    /// Where the inbox is, for the logs (never a connection string).
    location: String,
}

/// Opens the configured store: the SQLite file, or the PostgreSQL database whose connection
/// strings `env` resolves (the process environment in `run`).
async fn open_store(
    config: &Config,
    keys: StoreKeys,
    env: impl Fn(&str) -> Option<String>,
) -> Result<OpenedStore, Box<dyn std::error::Error>> {
    match config.storage.postgres()? {
        None => {
            let storage = &config.storage;
            let synchronous = match storage.synchronous.unwrap_or_default() {
                SyncMode::Full => Synchronous::Full,
                SyncMode::Normal => Synchronous::Normal,
            };
            let mut options = SqliteOptions::new().synchronous(synchronous);
            if let Some(kib) = storage.cache_size_kib {
                options = options.cache_size_kib(kib);
            }
            if let Some(mib) = storage.disk_reserve_mib {
                options = options.disk_reserve_bytes(mib.saturating_mul(1024 * 1024));
            }
            if let Some(sealed) = storage.conversation_sealing {
                options = options.conversation_sealing(sealed);
            }
            let store = SqliteStore::open_with(&config.database, options, keys).await?;
            let sqlite = Some(Arc::clone(store.inbox()));
            Ok(OpenedStore {
                hub: Hub::builder(store),
                sqlite,
                #[cfg(feature = "store-postgres")]
                postgres: None,
                location: config.database.display().to_string(),
            })
        }
        Some(settings) => open_postgres(&settings, keys, env).await,
    }
}

/// Opens the PostgreSQL store of `settings`, migrating first when an owner URL is configured.
#[cfg(feature = "store-postgres")]
async fn open_postgres(
    settings: &PostgresSettings,
    keys: StoreKeys,
    env: impl Fn(&str) -> Option<String>,
) -> Result<OpenedStore, Box<dyn std::error::Error>> {
    use unibox::store::postgres::{PostgresOptions, PostgresStore};
    let url = env(&settings.url_env).ok_or_else(|| {
        storage_error(format!(
            "set {} to the application role's PostgreSQL connection string (postgres://user:password@host/db)",
            settings.url_env
        ))
    })?;
    let mut options = PostgresOptions::new(&url)
        .map_err(|e| storage_error(format!("{} does not hold a usable connection string: {e}", settings.url_env)))?;
    if let Some(owner) = &settings.owner_url_env {
        let owner_url = env(owner).ok_or_else(|| {
            storage_error(format!(
                "set {owner} to the owner role's PostgreSQL connection string, or remove postgres_owner_url_env"
            ))
        })?;
        options = options
            .migrate_with(&owner_url)
            .map_err(|e| storage_error(format!("{owner} does not hold a usable connection string: {e}")))?;
    }
    if let Some(size) = settings.pool_size {
        options = options.pool_size(size);
    }
    if let Some(ca_file) = &settings.ca_file {
        options = options
            .ca_certificates_file(ca_file)
            .map_err(|e| storage_error(format!("[storage] postgres_ca_file: {e}")))?;
    }
    let location = format!("PostgreSQL as {}", options.user().unwrap_or("the default user"));
    let store = PostgresStore::connect(&options, keys).await?;
    Ok(OpenedStore { hub: Hub::builder(store), sqlite: None, postgres: Some(options), location })
}

/// Without the `store-postgres` feature, `backend = "postgres"` is refused rather than ignored.
#[cfg(not(feature = "store-postgres"))]
async fn open_postgres(
    _settings: &PostgresSettings,
    _keys: StoreKeys,
    _env: impl Fn(&str) -> Option<String>,
) -> Result<OpenedStore, Box<dyn std::error::Error>> {
    Err(storage_error(
        "[storage] backend = \"postgres\" needs the store-postgres feature: \
         cargo run --example server --features server-axum,store-postgres"
            .to_owned(),
    )
    .into())
}

/// The `[bus]` section: the change bus that fans the inbox's changes out to the other processes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BusSection {
    /// `nats` (the default; feature `bus-nats`) or `postgres` (`LISTEN`/`NOTIFY` on the store's
    /// own database; needs `[storage] backend = "postgres"`).
    #[serde(default)]
    kind: BusKind,
    /// NATS: the variable holding the server's URL (it may carry credentials).
    nats_url_env: Option<String>,
    /// NATS: the JetStream stream.
    stream: Option<String>,
    /// NATS: the subjects' prefix.
    subject_prefix: Option<String>,
}

/// Which change bus `[bus]` attaches.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum BusKind {
    /// NATS JetStream (feature `bus-nats`).
    #[default]
    Nats,
    /// PostgreSQL `LISTEN`/`NOTIFY` on the store's database: no other service.
    Postgres,
}

/// The settings of a `[bus]` section, checked against the storage backend.
#[derive(Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "bus-nats"), allow(dead_code))]
enum BusSettings {
    /// NATS JetStream at the URL the variable `url_env` holds.
    Nats { url_env: String, stream: Option<String>, subject_prefix: Option<String> },
    /// `PostgresChangeBus` over the store's own connection options.
    Postgres,
}

impl BusSection {
    /// Checks the section: the NATS keys belong to `kind = "nats"`, which needs `nats_url_env`;
    /// `kind = "postgres"` needs the PostgreSQL store. A wrong key is refused by name.
    fn settings(&self, backend: Backend) -> unibox::Result<BusSettings> {
        match self.kind {
            BusKind::Nats => {
                let url_env = self.nats_url_env.clone().ok_or_else(|| {
                    storage_error(
                        "[bus] kind = \"nats\" (the default) needs nats_url_env: the variable holding the NATS \
                         server's URL; or set kind = \"postgres\" with [storage] backend = \"postgres\""
                            .to_owned(),
                    )
                })?;
                Ok(BusSettings::Nats {
                    url_env,
                    stream: self.stream.clone(),
                    subject_prefix: self.subject_prefix.clone(),
                })
            }
            BusKind::Postgres => {
                let set = [
                    ("nats_url_env", self.nats_url_env.is_some()),
                    ("stream", self.stream.is_some()),
                    ("subject_prefix", self.subject_prefix.is_some()),
                ];
                if let Some((key, _)) = set.iter().find(|(_, set)| *set) {
                    return Err(storage_error(format!(
                        "[bus] {key} is a NATS setting; remove it with kind = \"postgres\""
                    )));
                }
                if backend != Backend::Postgres {
                    return Err(storage_error(
                        "[bus] kind = \"postgres\" listens on the store's PostgreSQL database: it needs \
                         [storage] backend = \"postgres\""
                            .to_owned(),
                    ));
                }
                Ok(BusSettings::Postgres)
            }
        }
    }
}

/// Connects the checked `[bus]` settings: NATS, or PostgreSQL over the opened store's options.
async fn connect_bus(
    settings: &BusSettings,
    store: &OpenedStore,
) -> Result<Arc<dyn unibox::bus::ChangeBus>, Box<dyn std::error::Error>> {
    match settings {
        BusSettings::Nats { url_env, stream, subject_prefix } => {
            connect_nats(url_env, stream.as_deref(), subject_prefix.as_deref()).await
        }
        BusSettings::Postgres => connect_postgres_bus(store).await,
    }
}

/// Connects the NATS change bus.
#[cfg(feature = "bus-nats")]
async fn connect_nats(
    url_env: &str,
    stream: Option<&str>,
    subject_prefix: Option<&str>,
) -> Result<Arc<dyn unibox::bus::ChangeBus>, Box<dyn std::error::Error>> {
    use unibox::bus::nats::{NatsBusConfig, NatsChangeBus};
    let url = std::env::var(url_env)
        .map_err(|_| format!("set {url_env} to the NATS server's URL (nats://host:4222), or remove [bus]"))?;
    let mut config = NatsBusConfig::new(url)?;
    if let Some(stream) = stream {
        config = config.stream(stream.to_owned())?;
    }
    if let Some(prefix) = subject_prefix {
        config = config.subject_prefix(prefix.to_owned())?;
    }
    let bus = NatsChangeBus::connect(config).await?;
    println!(
        "  change bus: NATS {} (stream {})",
        bus.config().redacted_url(),
        stream.unwrap_or(unibox::bus::nats::DEFAULT_STREAM)
    );
    Ok(Arc::new(bus))
}

/// Without the `bus-nats` feature a NATS `[bus]` is refused rather than ignored.
#[cfg(not(feature = "bus-nats"))]
async fn connect_nats(
    _url_env: &str,
    _stream: Option<&str>,
    _subject_prefix: Option<&str>,
) -> Result<Arc<dyn unibox::bus::ChangeBus>, Box<dyn std::error::Error>> {
    Err("[bus] kind = \"nats\" needs the bus-nats feature: cargo run --example server --features bus-nats".into())
}

/// Connects the PostgreSQL change bus on the store's database (its own connection).
#[cfg(feature = "store-postgres")]
async fn connect_postgres_bus(
    store: &OpenedStore,
) -> Result<Arc<dyn unibox::bus::ChangeBus>, Box<dyn std::error::Error>> {
    let options = store
        .postgres
        .as_ref()
        .ok_or_else(|| storage_error("[bus] kind = \"postgres\" needs [storage] backend = \"postgres\"".to_owned()))?;
    let bus = unibox::store::postgres::PostgresChangeBus::connect(options).await?;
    println!("  change bus: PostgreSQL LISTEN/NOTIFY (channel {})", bus.channel());
    Ok(Arc::new(bus))
}

/// Without the `store-postgres` feature there is no PostgreSQL store to listen on.
#[cfg(not(feature = "store-postgres"))]
async fn connect_postgres_bus(
    _store: &OpenedStore,
) -> Result<Arc<dyn unibox::bus::ChangeBus>, Box<dyn std::error::Error>> {
    Err("[bus] kind = \"postgres\" needs the store-postgres feature: \
         cargo run --example server --features server-axum,store-postgres"
        .into())
}

/// When a commit reaches the disk; see `unibox_store_sqlite::Synchronous`.
#[derive(Debug, Default, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum SyncMode {
    /// fsync on every commit: an acknowledged webhook survives a power loss.
    #[default]
    Full,
    /// fsync at checkpoints: survives a process crash (kill -9), not a power loss.
    Normal,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelSection {
    id: ChannelId,
    /// `webhook`, or with its feature: `messenger`, `line`, `telegram`, `twilio`, `shopee`,
    /// `lazada`, `tiktok-shop`.
    kind: String,
    /// The variable holding the `whsec_` secret (webhook), the app secret (messenger, lazada,
    /// tiktok-shop), the channel secret (line), the webhook secret token (telegram), the Auth
    /// Token (twilio) or the partner key (shopee).
    secret_env: String,
    /// Messenger: the variable holding the verify token of the GET handshake.
    #[serde(default)]
    #[cfg_attr(not(feature = "channel-messenger"), allow(dead_code))]
    verify_token_env: Option<String>,
    /// Telegram: the variable holding the bot token (`secret_env` holds the webhook's secret
    /// token, which Telegram sends in `X-Telegram-Bot-Api-Secret-Token`).
    #[serde(default)]
    #[cfg_attr(not(feature = "channel-telegram"), allow(dead_code))]
    bot_token_env: Option<String>,
    /// Twilio: the Account SID (not a secret; `secret_env` holds the Auth Token).
    #[serde(default)]
    #[cfg_attr(not(feature = "channel-twilio"), allow(dead_code))]
    account_sid: Option<String>,
    /// Shopee: the partner id (not a secret; `secret_env` holds the partner key).
    #[serde(default)]
    #[cfg_attr(not(feature = "channel-shopee"), allow(dead_code))]
    partner_id: Option<u64>,
    /// Lazada and TikTok Shop: the app key (not a secret; `secret_env` holds the app secret).
    #[serde(default)]
    #[cfg_attr(not(any(feature = "channel-lazada", feature = "channel-tiktok-shop")), allow(dead_code))]
    app_key: Option<String>,
    #[serde(default)]
    send_url: Option<Url>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountSection {
    tenant: TenantId,
    channel: ChannelId,
    platform_account_id: String,
    #[serde(default)]
    display_name: Option<String>,
    /// The variable holding the account's access token (Messenger: the page access token).
    #[serde(default)]
    token_env: Option<String>,
}

struct Args {
    config: PathBuf,
    sandbox: bool,
}

const USAGE: &str = "usage: server [--config <file.toml>] [--sandbox]";

fn parse_args() -> Result<Args, String> {
    let mut args = Args { config: PathBuf::from("examples/server.example.toml"), sandbox: false };
    let mut given = std::env::args().skip(1);
    while let Some(arg) = given.next() {
        match arg.as_str() {
            "--config" => args.config = given.next().ok_or(USAGE)?.into(),
            "--sandbox" => args.sandbox = true,
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(args)
}

fn init_logging() {
    let level = std::env::var("UNIBOX_LOG").ok().and_then(|l| l.parse().ok());
    tracing_subscriber::fmt()
        .with_max_level(level.unwrap_or(tracing_subscriber::filter::LevelFilter::INFO))
        .with_target(false)
        .init();
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return std::process::ExitCode::from(2);
        }
    };
    init_logging();
    match run(args).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(&args.config)
        .map_err(|e| format!("cannot read the configuration {}: {e}", args.config.display()))?;
    let config: Config =
        toml::from_str(&text).map_err(|e| format!("invalid configuration {}: {e}", args.config.display()))?;

    // Checked before anything connects, so a wrong key is reported first.
    let bus = config.bus.as_ref().map(|bus| bus.settings(config.storage.backend)).transpose()?;
    let delivery = config.delivery.options()?;
    let sandbox = if args.sandbox { Some(Sandbox::start().await?) } else { None };
    let keys = vault_keys(&config.database, sandbox.is_some())?;
    let opened = open_store(&config, keys, |name| std::env::var(name).ok()).await?;
    // NATS: the background work below runs the relay that publishes this server's changes;
    // PostgreSQL: the store notifies as it commits, no relay.
    let bus = match &bus {
        Some(settings) => Some(connect_bus(settings, &opened).await?),
        None => None,
    };
    // Kept to say at shutdown exactly where acknowledged webhooks are (SQLite's journal).
    let (sqlite_inbox, location) = (opened.sqlite, opened.location);
    let http = Arc::new(ReqwestClient::new());
    let max_body_bytes = config.limits.max_body_bytes.unwrap_or(unibox::hub::DEFAULT_MAX_BODY_BYTES);
    let mut hub = opened.hub.max_body_bytes(max_body_bytes).delivery(delivery);
    if let Some(bus) = bus {
        hub = hub.change_bus(bus);
    }
    let mut secrets = Vec::new();
    let mut kinds = HashMap::new();
    for channel in &config.channels {
        let secret = match std::env::var(&channel.secret_env) {
            Ok(secret) => SecretString::from(secret),
            Err(_) if sandbox.is_some() => {
                tracing::warn!(channel = %channel.id, variable = %channel.secret_env, "unset: using the public sandbox secret");
                SecretString::from(SANDBOX_SECRET)
            }
            Err(_) => {
                let what = match channel.kind.as_str() {
                    "webhook" => "the whsec_ signing secret",
                    "line" => "the LINE channel secret",
                    "messenger" | "instagram" | "whatsapp" => "the Meta app secret",
                    "telegram" => "the webhook secret token (1 to 256 of A-Z, a-z, 0-9, _, -)",
                    "twilio" => "the Twilio Auth Token",
                    "shopee" => "the Shopee partner key",
                    "lazada" | "tiktok-shop" => "the app secret",
                    _ => "the secret",
                };
                return Err(format!("set {} to {what} of channel {}", channel.secret_env, channel.id).into());
            }
        };
        let built = build_channel(channel, &secret, &config, sandbox.as_ref(), &http)?;
        kinds.insert(channel.id.clone(), built.kind());
        hub = hub.channel(channel.id.clone(), built);
        secrets.push((channel.id.clone(), channel.kind.clone(), secret));
    }
    let hub = hub.build();
    ensure_accounts(&hub, &config.accounts, &kinds, sandbox.is_some()).await?;

    let mut server = WebhookServer::new(hub.clone()).max_body_bytes(max_body_bytes);
    if let Some(limit) = config.limits.max_in_flight {
        server = server.max_in_flight(limit);
    }
    if let Some(origin) = config.public_url.clone() {
        server = server.public_url(origin);
    }
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let addr = listener.local_addr()?;
    println!("unibox server on http://{addr} (inbox {location})");
    for channel in &config.channels {
        println!("  POST http://{addr}/webhooks/{}", channel.id);
    }
    println!("  GET  http://{addr}/health   GET http://{addr}/ready");

    if let Some(sandbox) = sandbox {
        for (channel, kind, secret) in &secrets {
            if let Some(account) = config.accounts.iter().find(|a| &a.channel == channel) {
                print_sample_curl(addr, channel, kind, secret, &account.platform_account_id)?;
            }
        }
        let tenants: BTreeSet<TenantId> = config.accounts.iter().map(|a| a.tenant.clone()).collect();
        tokio::spawn(echo_bot(hub.clone(), tenants));
        tokio::spawn(sandbox.watch());
    }

    // The hub's background work, started explicitly: the delivery worker (retries after a
    // platform's 429 or 5xx, and sends a crash left queued), the analytics projection and, with
    // a [bus], the relay of the inbox's changes to it.
    let background = hub.start_background();
    let connections = config.limits.connections();
    unibox::server::serve_with(listener, server.router(), connections, unibox::server::shutdown_signal()).await?;
    background.shutdown().await;
    let Some(inbox) = sqlite_inbox else {
        println!("stopped; every acknowledged webhook is committed to {location}");
        return Ok(());
    };
    let journal = inbox.journal_file().unwrap_or_default();
    match inbox.unapplied_events() {
        0 => println!("stopped; every acknowledged webhook is applied to {}", config.database.display()),
        waiting => println!(
            "stopped; {waiting} acknowledged events are not applied to {} yet: they are in its journal file {}, \
             applied at the next start (keep both files together)",
            config.database.display(),
            journal.display()
        ),
    }
    Ok(())
}

/// The channel a `[[channel]]` section describes, with its secret; with `--sandbox`, its
/// platform API is the sandbox's fake.
fn build_channel(
    channel: &ChannelSection,
    secret: &SecretString,
    config: &Config,
    sandbox: Option<&Sandbox>,
    http: &Arc<ReqwestClient>,
) -> Result<Arc<dyn Channel>, Box<dyn std::error::Error>> {
    // Only the channels whose signature covers the public URL read the configuration.
    #[cfg(not(any(feature = "channel-twilio", feature = "channel-shopee")))]
    let _ = config;
    let built: Arc<dyn Channel> = match channel.kind.as_str() {
        "webhook" => {
            let send_url = match &sandbox {
                Some(sandbox) => Some(sandbox.receiver.url_for(&format!("/outbound/{}", channel.id))),
                None => channel.send_url.clone(),
            };
            let mut builder = WebhookChannel::builder()
                .secret(secret.clone())
                .map_err(|e| format!("channel {}: {e}", channel.id))?
                .http_client(http.clone());
            if let Some(url) = send_url {
                builder = builder.send_to(url);
            }
            Arc::new(builder.build()?)
        }
        #[cfg(feature = "channel-messenger")]
        "messenger" => {
            let verify_token = match channel.verify_token_env.as_deref().map(std::env::var) {
                Some(Ok(token)) => token,
                _ if sandbox.is_some() => SANDBOX_VERIFY_TOKEN.to_string(),
                _ => {
                    return Err(format!(
                        "channel {}: set verify_token_env and that variable to the webhook's verify token",
                        channel.id
                    )
                    .into());
                }
            };
            let mut builder = unibox::channels::messenger::builder()
                .app_secret(unibox::channels::messenger::AppSecret::from(secret.clone()))
                .verify_token(verify_token)
                .http_client(http.clone());
            if let Some(sandbox) = &sandbox {
                builder = builder.graph_base_url(sandbox.graph.url());
            }
            Arc::new(builder.build().map_err(|e| format!("channel {}: {e}", channel.id))?)
        }
        #[cfg(feature = "channel-line")]
        "line" => {
            use unibox::channels::line::{LineChannel, LineConfig};
            let mut config = LineConfig::builder().channel_secret(secret.clone());
            if let Some(sandbox) = &sandbox {
                config = config.api_base_url(sandbox.receiver.url_for("/line/"));
            }
            let config = config.build().map_err(|e| format!("channel {}: {e}", channel.id))?;
            Arc::new(LineChannel::new(config).with_http_client(http.clone()))
        }
        #[cfg(feature = "channel-telegram")]
        "telegram" => {
            use unibox::channels::telegram::{TelegramChannel, TelegramConfig};
            let bot_token = env_secret(
                channel.bot_token_env.as_deref(),
                channel,
                "the bot token",
                sandbox.is_some(),
                SANDBOX_BOT_TOKEN,
            )?;
            let mut config = TelegramConfig::builder().bot_token(bot_token).secret_token(secret.clone());
            if let Some(sandbox) = &sandbox {
                config = config.api_base_url(sandbox.receiver.url_for("/telegram/"));
            }
            let config = config.build().map_err(|e| format!("channel {}: {e}", channel.id))?;
            Arc::new(TelegramChannel::new(config).with_http_client(http.clone()))
        }
        #[cfg(feature = "channel-twilio")]
        "twilio" => {
            use unibox::channels::twilio::{TwilioChannel, TwilioConfig};
            let account_sid =
                channel.account_sid.as_deref().ok_or_else(|| format!("channel {}: set account_sid", channel.id))?;
            // Twilio signs the URL it calls: the public one, never one guessed from a Host header.
            let url = webhook_url(config.public_url.as_ref(), config.listen, channel, sandbox.is_some())?;
            let mut twilio =
                TwilioConfig::builder().account_sid(account_sid).auth_token(secret.clone()).webhook_url(url);
            if let Some(sandbox) = &sandbox {
                twilio = twilio.api_base_url(sandbox.receiver.url_for("/twilio/"));
            }
            let twilio = twilio.build().map_err(|e| format!("channel {}: {e}", channel.id))?;
            Arc::new(TwilioChannel::new(twilio).with_http_client(http.clone()))
        }
        #[cfg(feature = "channel-shopee")]
        "shopee" => {
            use unibox::channels::shopee::{ShopeeChannel, ShopeeConfig};
            let partner_id = channel.partner_id.ok_or_else(|| format!("channel {}: set partner_id", channel.id))?;
            // Shopee signs `url|body` with the registered callback URL.
            let url = webhook_url(config.public_url.as_ref(), config.listen, channel, sandbox.is_some())?;
            let mut shopee =
                ShopeeConfig::builder().partner_id(partner_id).partner_key(secret.clone()).callback_url(url);
            if let Some(sandbox) = &sandbox {
                shopee = shopee.api_base_url(sandbox.receiver.url_for("/shopee/"));
            }
            let shopee = shopee.build().map_err(|e| format!("channel {}: {e}", channel.id))?;
            Arc::new(ShopeeChannel::new(shopee).with_http_client(http.clone()))
        }
        #[cfg(feature = "channel-lazada")]
        "lazada" => {
            use unibox::channels::lazada::{LazadaChannel, LazadaConfig};
            let app_key = channel.app_key.as_deref().ok_or_else(|| format!("channel {}: set app_key", channel.id))?;
            let mut lazada = LazadaConfig::builder().app_key(app_key).app_secret(secret.clone());
            if let Some(sandbox) = &sandbox {
                lazada = lazada.api_base_url(sandbox.receiver.url_for("/lazada/"));
            }
            let lazada = lazada.build().map_err(|e| format!("channel {}: {e}", channel.id))?;
            Arc::new(LazadaChannel::new(lazada).with_http_client(http.clone()))
        }
        #[cfg(feature = "channel-tiktok-shop")]
        "tiktok-shop" => {
            use unibox::channels::tiktok_shop::{TikTokShopChannel, TikTokShopConfig};
            let app_key = channel.app_key.as_deref().ok_or_else(|| format!("channel {}: set app_key", channel.id))?;
            let mut tiktok = TikTokShopConfig::builder().app_key(app_key).app_secret(secret.clone());
            if let Some(sandbox) = &sandbox {
                tiktok = tiktok.api_base_url(sandbox.receiver.url_for("/tiktok-shop/"));
            }
            let tiktok = tiktok.build().map_err(|e| format!("channel {}: {e}", channel.id))?;
            Arc::new(TikTokShopChannel::new(tiktok).with_http_client(http.clone()))
        }
        other => {
            return Err(format!(
                "channel {}: kind {other:?} is not served by this build (webhook{}{}; telegram, twilio, shopee, lazada and tiktok-shop need their channel-* feature)",
                channel.id,
                if cfg!(feature = "channel-messenger") {
                    ", messenger"
                } else {
                    "; messenger needs --features channel-messenger"
                },
                if cfg!(feature = "channel-line") { ", line" } else { "; line needs --features channel-line" }
            )
            .into());
        }
    };
    Ok(built)
}

/// A secret from the variable `variable` names; with `--sandbox` and the variable unset, the
/// public sandbox value (announced).
#[cfg_attr(not(feature = "channel-telegram"), allow(dead_code))]
fn env_secret(
    variable: Option<&str>,
    channel: &ChannelSection,
    what: &str,
    sandbox: bool,
    sandbox_value: &str,
) -> Result<SecretString, String> {
    match variable.map(std::env::var) {
        Some(Ok(value)) => Ok(SecretString::from(value)),
        _ if sandbox => {
            tracing::warn!(channel = %channel.id, "{what}: unset, using the public sandbox value");
            Ok(SecretString::from(sandbox_value))
        }
        Some(Err(_)) => Err(format!("channel {}: set {} to {what}", channel.id, variable.unwrap_or_default())),
        None => Err(format!("channel {}: name the variable holding {what}", channel.id)),
    }
}

/// The URL a platform that signs it (Twilio, Shopee) calls for `channel`: `public_url` with
/// `/webhooks/<id>`; with `--sandbox` and no `public_url`, the listen address.
#[cfg_attr(not(any(feature = "channel-twilio", feature = "channel-shopee")), allow(dead_code))]
fn webhook_url(
    public_url: Option<&Url>,
    listen: SocketAddr,
    channel: &ChannelSection,
    sandbox: bool,
) -> Result<String, String> {
    let path = format!("webhooks/{}", channel.id);
    match public_url {
        Some(origin) => origin.join(&path).map(String::from).map_err(|e| format!("channel {}: {e}", channel.id)),
        None if sandbox => Ok(format!("http://{listen}/{path}")),
        None => Err(format!(
            "channel {}: a {} channel signs its public URL; set public_url to the origin the platform calls",
            channel.id, channel.kind
        )),
    }
}

/// The vault's keys: from `UNIBOX_VAULT_KEYS`; with `--sandbox` and the variable unset, from a
/// key file next to the database, generated on the first start (announced, never silent).
fn vault_keys(database: &std::path::Path, sandbox: bool) -> Result<StoreKeys, Box<dyn std::error::Error>> {
    const VARIABLE: &str = "UNIBOX_VAULT_KEYS";
    if std::env::var_os(VARIABLE).is_some() || !sandbox {
        return StoreKeys::from_env(VARIABLE).map_err(|e| {
            format!("{e}; make one with: export {VARIABLE}=\"1:$(head -c 32 /dev/urandom | base64)\"").into()
        });
    }
    let mut file = database.as_os_str().to_owned();
    file.push(".sandbox-vault-keys");
    let file = PathBuf::from(file);
    if !file.exists() {
        write_private(&file, &Keyring::generate_entry(1))?;
    }
    tracing::warn!(file = %file.display(), "sandbox: {VARIABLE} is unset; the vault keys are in this generated file");
    Ok(StoreKeys::from_file(&file)?)
}

/// Writes a file only its owner can read.
fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

/// Ensures the configured accounts on every start: connected the first time, updated (same
/// account, new display name or token) after.
async fn ensure_accounts(
    hub: &Hub,
    accounts: &[AccountSection],
    kinds: &HashMap<ChannelId, ChannelKind>,
    sandbox: bool,
) -> Result<(), String> {
    for account in accounts {
        let kind = kinds.get(&account.channel).cloned().ok_or_else(|| {
            format!(
                "account {} names channel {}, which is not configured",
                account.platform_account_id, account.channel
            )
        })?;
        let admin =
            Actor::user(account.tenant.clone(), "unibox-server".parse().map_err(|e| format!("{e}"))?, Role::Admin);
        let mut new = ChannelAccount::new(
            account.tenant.clone(),
            account.channel.clone(),
            kind,
            &account.platform_account_id,
            Timestamp::now(),
        );
        if let Some(name) = &account.display_name {
            new = new.with_display_name(name);
        }
        let tokens = match account.token_env.as_deref().map(std::env::var) {
            Some(Ok(token)) => Some(TokenSet::new(token)),
            Some(Err(_)) if sandbox => Some(TokenSet::new("sandbox-page-access-token")),
            Some(Err(_)) => {
                return Err(format!(
                    "set {} to the access token of account {}",
                    account.token_env.as_deref().unwrap_or_default(),
                    account.platform_account_id
                ));
            }
            None => None,
        };
        hub.ensure_account(&admin, new, tokens)
            .await
            .map_err(|e| format!("account {}: {e}", account.platform_account_id))?;
        tracing::info!(tenant = %account.tenant, channel = %account.channel, account = %account.platform_account_id, "ready");
    }
    Ok(())
}

/// Prints a signed delivery, valid for the channel's 5-minute timestamp tolerance.
fn print_sample_curl(
    addr: SocketAddr,
    channel: &ChannelId,
    kind: &str,
    secret: &SecretString,
    account: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    if kind == "messenger" {
        let now = Timestamp::now().as_unix_millis();
        let body = format!(
            r#"{{"object":"page","entry":[{{"id":{account},"time":{now},"messaging":[{{"sender":{{"id":"6483920175"}},"recipient":{{"id":{account}}},"timestamp":{now},"message":{{"mid":"m_sample_{now}","text":"Is the blue kettle in stock?"}}}}]}}]}}"#,
            account = serde_json::Value::from(account)
        );
        let tag = unibox::channel::signature::hmac_sha256(secret.expose_secret().as_bytes(), &[body.as_bytes()]);
        let hex: String = tag.iter().map(|b| format!("{b:02x}")).collect();
        println!("\nsandbox: post a signed Messenger webhook to {channel}:\n");
        println!(
            "curl -i http://{addr}/webhooks/{channel} -H 'content-type: application/json' -H 'x-hub-signature-256: sha256={hex}' -d '{body}'\n"
        );
        return Ok(());
    }
    #[cfg(feature = "channel-line")]
    if kind == "line" {
        let now = Timestamp::now().as_unix_millis();
        let body = format!(
            r#"{{"destination":{account},"events":[{{"type":"message","message":{{"type":"text","id":"{now}","quoteToken":"q-sandbox","text":"Is the blue kettle in stock?"}},"webhookEventId":"01SANDBOX{now}","deliveryContext":{{"isRedelivery":false}},"timestamp":{now},"source":{{"type":"user","userId":"U80696558e1aa831a5e4f1c0e6c2a8a3b"}},"replyToken":"sandbox-reply-{now}","mode":"active"}}]}}"#,
            account = serde_json::Value::from(account)
        );
        let signature = unibox::channels::line::signature_header(secret.expose_secret(), body.as_bytes());
        println!("\nsandbox: post a signed LINE webhook to {channel}:\n");
        println!(
            "curl -i http://{addr}/webhooks/{channel} -H 'content-type: application/json' -H 'x-line-signature: {signature}' -d '{body}'\n"
        );
        return Ok(());
    }
    // "type" first in each tagged object: the channel reads it straight from the stream then.
    let body = format!(
        r#"{{"account":{account},"events":[{{"kind":{{"type":"message","customer":{{"kind":"external","id":"cust-1001","display_name":"Somchai P."}},"direction":"inbound","message_id":"m-sample-1","content":{{"type":"text","text":"Where is my order #A1234?"}}}}}}]}}"#,
        account = serde_json::Value::from(account)
    );
    let timestamp = Timestamp::now().as_unix_seconds();
    let id = format!("msg_sample_{timestamp}");
    let signature = WebhookSecret::parse(secret.clone())?.sign(&id, timestamp, body.as_bytes());
    println!("\nsandbox: post a signed webhook to {channel} (valid for 5 minutes):\n");
    println!(
        "curl -i http://{addr}/webhooks/{channel} -H 'content-type: application/json' -H 'webhook-id: {id}' \
         -H 'webhook-timestamp: {timestamp}' -H 'webhook-signature: {signature}' -d '{body}'\n"
    );
    Ok(())
}

/// The sandbox's stand-in for the systems the channels send to.
struct Sandbox {
    receiver: FakeServer,
    /// A fake Graph API answering the Send API like Meta does.
    graph: FakeServer,
}

impl Sandbox {
    async fn start() -> std::io::Result<Sandbox> {
        let receiver = FakeServer::start().await?;
        let sent = Arc::new(AtomicU64::new(0));
        receiver.respond_with(move |_| {
            let n = sent.fetch_add(1, Ordering::Relaxed) + 1;
            // `sentMessages` is how LINE names what it sent (the LINE channel posts here too).
            let id = format!("sandbox-msg-{n}");
            ScriptedResponse::json(200, &serde_json::json!({ "id": id, "sentMessages": [{ "id": id }] }))
        });
        let graph = FakeServer::start().await?;
        let mids = Arc::new(AtomicU64::new(0));
        graph.respond_with(move |request| {
            let n = mids.fetch_add(1, Ordering::Relaxed) + 1;
            let recipient = request.json().ok().and_then(|j| j["recipient"]["id"].as_str().map(str::to_string));
            ScriptedResponse::json(
                200,
                &serde_json::json!({ "recipient_id": recipient.unwrap_or_default(), "message_id": format!("m_sandbox_{n}") }),
            )
        });
        println!("sandbox: fake receiver for outbound messages on {}", receiver.url());
        println!("sandbox: fake Graph API (Messenger Send API) on {}", graph.url());
        Ok(Sandbox { receiver, graph })
    }

    /// Prints what the fakes get, as they get it.
    async fn watch(self) {
        let (mut receiver_seen, mut graph_seen) = (0, 0);
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            let requests = self.receiver.requests();
            for request in requests.iter().skip(receiver_seen) {
                let json = request.json().unwrap_or_default();
                println!(
                    "sandbox: receiver got POST {} for {}: {}",
                    request.path(),
                    json["recipient"]["id"].as_str().or(json["to"].as_str()).unwrap_or("?"),
                    json["content"]["text"].as_str().or(json["messages"][0]["text"].as_str()).unwrap_or("(not text)")
                );
            }
            receiver_seen = requests.len();
            let calls = self.graph.requests();
            for call in calls.iter().skip(graph_seen) {
                let json = call.json().unwrap_or_default();
                println!(
                    "sandbox: Graph API got POST {} for {}: {}",
                    call.path(),
                    json["recipient"]["id"].as_str().unwrap_or("?"),
                    json["message"]["text"].as_str().unwrap_or("(not text)")
                );
            }
            graph_seen = calls.len();
        }
    }
}

/// Answers every unread conversation's latest customer message, then marks it read, all
/// through the hub (authorized and audited), as the agent user `sandbox-echo`.
async fn echo_bot(hub: Hub, tenants: BTreeSet<TenantId>) {
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        for tenant in &tenants {
            if let Err(error) = echo_unread(&hub, tenant).await {
                tracing::warn!(%tenant, %error, "sandbox echo bot");
            }
        }
    }
}

async fn echo_unread(hub: &Hub, tenant: &TenantId) -> unibox::Result<()> {
    // A user, not an automation: read markers are per user.
    let bot = Actor::user(tenant.clone(), "sandbox-echo".parse()?, Role::Agent);
    let unread = hub.conversations(&bot, &ConversationQuery::new().unread_only().limit(50)).await?;
    for conversation in unread.items {
        let latest = hub.messages(&bot, conversation.id, &MessageQuery::new().limit(1)).await?;
        if let Some(message) = latest.items.first().filter(|m| m.direction == Direction::Inbound) {
            let text = message.content.searchable_text().map(|t| t.into_owned()).unwrap_or_default();
            println!("sandbox: {tenant} received \"{text}\"; the echo bot replies");
            let reply = Content::text(format!("Thanks! The unibox sandbox received: \"{text}\""));
            let sent = hub.send(&bot, conversation.id, reply).await?;
            println!(
                "sandbox: reply {} is {} (platform id {})",
                sent.id,
                sent.delivery.as_str(),
                sent.platform_message_id.as_deref().unwrap_or("-")
            );
        }
        hub.mark_read(&bot, conversation.id).await?;
    }
    Ok(())
}

/// The configuration file and the channels it describes (`cargo test -p unibox --all-features
/// --example server`).
#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> Config {
        toml::from_str(text).expect("a valid configuration")
    }

    #[test]
    fn the_example_configuration_parses_with_its_commented_channels_too() {
        let text = include_str!("server.example.toml");
        let shipped = config(text);
        assert!(!shipped.channels.is_empty());
        // Every commented-out [[channel]] and [[account]] block, uncommented, still parses.
        let uncommented: String = text
            .lines()
            .map(|line| line.strip_prefix("# ").filter(|l| l.starts_with('[') || l.contains(" = ")).unwrap_or(line))
            .collect::<Vec<_>>()
            .join("\n");
        let all = config(&uncommented);
        let bus = all.bus.as_ref().expect("server.example.toml shows a [bus] section");
        assert_eq!(bus.kind, BusKind::Nats);
        assert_eq!(
            bus.settings(Backend::Sqlite).unwrap(),
            BusSettings::Nats {
                url_env: "UNIBOX_NATS_URL".to_owned(),
                stream: Some("UNIBOX_CHANGES".to_owned()),
                subject_prefix: Some("unibox.changes".to_owned()),
            }
        );
        assert_eq!(all.delivery.options().unwrap().lease, Duration::from_secs(120));
        let kinds: BTreeSet<&str> = all.channels.iter().map(|c| c.kind.as_str()).collect();
        for kind in ["webhook", "messenger", "line", "telegram", "twilio", "shopee", "lazada", "tiktok-shop"] {
            assert!(kinds.contains(kind), "server.example.toml shows a {kind} channel");
        }
    }

    #[test]
    fn the_storage_backend_is_sqlite_by_default_and_postgres_by_its_keys() {
        let sqlite =
            config("listen = \"127.0.0.1:8080\"\ndatabase = \"inbox.db\"\n[storage]\nsynchronous = \"normal\"");
        assert_eq!(sqlite.storage.backend, Backend::Sqlite);
        assert_eq!(sqlite.storage.postgres().unwrap(), None);

        let postgres = config(
            "listen = \"127.0.0.1:8080\"\ndatabase = \"unused.db\"\n[storage]\nbackend = \"postgres\"\n\
             postgres_url_env = \"UNIBOX_PG_URL\"\npostgres_owner_url_env = \"UNIBOX_PG_OWNER_URL\"\npostgres_pool_size = 8\n\
             postgres_ca_file = \"/etc/unibox/pg-ca.pem\"",
        );
        assert_eq!(
            postgres.storage.postgres().unwrap(),
            Some(PostgresSettings {
                url_env: "UNIBOX_PG_URL".to_owned(),
                owner_url_env: Some("UNIBOX_PG_OWNER_URL".to_owned()),
                pool_size: Some(8),
                ca_file: Some("/etc/unibox/pg-ca.pem".into()),
            })
        );
    }

    #[test]
    fn a_storage_key_of_the_other_backend_or_a_missing_url_is_refused_by_name() {
        let storage = |body: &str| {
            config(&format!("listen = \"127.0.0.1:8080\"\ndatabase = \"x.db\"\n[storage]\n{body}")).storage
        };
        let refused = |body: &str| {
            let error = storage(body).postgres().unwrap_err();
            assert_eq!(error.kind(), unibox::ErrorKind::Configuration, "{body}");
            error.to_string()
        };
        for key in
            ["synchronous = \"full\"", "cache_size_kib = 4096", "disk_reserve_mib = 64", "conversation_sealing = false"]
        {
            let message = refused(&format!("backend = \"postgres\"\npostgres_url_env = \"U\"\n{key}"));
            let name = key.split(' ').next().unwrap();
            assert!(message.contains(name) && message.contains("SQLite"), "{message}");
        }
        for key in [
            "postgres_url_env = \"U\"",
            "postgres_owner_url_env = \"O\"",
            "postgres_pool_size = 4",
            "postgres_ca_file = \"ca.pem\"",
        ] {
            let message = refused(key);
            let name = key.split(' ').next().unwrap();
            assert!(message.contains(name) && message.contains("backend = \"postgres\""), "{message}");
        }
        let message = refused("backend = \"postgres\"");
        assert!(message.contains("postgres_url_env"), "{message}");
        let message = refused("backend = \"postgres\"\npostgres_url_env = \"U\"\npostgres_pool_size = 0");
        assert!(message.contains("postgres_pool_size"), "{message}");
        let unknown = toml::from_str::<Config>(
            "listen = \"127.0.0.1:8080\"\ndatabase = \"x.db\"\n[storage]\nbackend = \"mysql\"",
        )
        .unwrap_err()
        .to_string();
        assert!(unknown.contains("backend") && unknown.contains("mysql"), "{unknown}");
    }

    #[test]
    fn a_postgres_bus_needs_the_postgres_backend_and_takes_no_nats_key() {
        let bus = |backend: &str, body: &str| {
            let text = format!(
                "listen = \"127.0.0.1:8080\"\ndatabase = \"x.db\"\n[storage]\nbackend = \"{backend}\"\n\
                 {}\n[bus]\n{body}",
                if backend == "postgres" { "postgres_url_env = \"U\"" } else { "" }
            );
            let config = config(&text);
            config.bus.expect("a [bus] section").settings(config.storage.backend)
        };
        assert_eq!(bus("postgres", "kind = \"postgres\"").unwrap(), BusSettings::Postgres);
        // NATS stays the default kind, and needs its URL variable.
        assert_eq!(
            bus("postgres", "nats_url_env = \"N\"").unwrap(),
            BusSettings::Nats { url_env: "N".to_owned(), stream: None, subject_prefix: None }
        );
        let refused = |backend: &str, body: &str| {
            let error = bus(backend, body).unwrap_err();
            assert_eq!(error.kind(), unibox::ErrorKind::Configuration, "{body}");
            error.to_string()
        };
        let message = refused("sqlite", "kind = \"postgres\"");
        assert!(message.contains("backend = \"postgres\""), "{message}");
        for key in ["nats_url_env = \"N\"", "stream = \"S\"", "subject_prefix = \"p\""] {
            let message = refused("postgres", &format!("kind = \"postgres\"\n{key}"));
            let name = key.split(' ').next().unwrap();
            assert!(message.contains(name) && message.contains("NATS"), "{message}");
        }
        let message = refused("postgres", "kind = \"nats\"");
        assert!(message.contains("nats_url_env"), "{message}");
        let unknown =
            toml::from_str::<Config>("listen = \"127.0.0.1:8080\"\ndatabase = \"x.db\"\n[bus]\nkind = \"redis\"")
                .unwrap_err()
                .to_string();
        assert!(unknown.contains("kind") && unknown.contains("redis"), "{unknown}");
    }

    #[test]
    fn the_delivery_lease_is_configurable_and_never_zero() {
        let delivery = |body: &str| {
            config(&format!("listen = \"127.0.0.1:8080\"\ndatabase = \"x.db\"\n[delivery]\n{body}")).delivery
        };
        assert_eq!(delivery("").options().unwrap().lease, unibox::delivery::DeliveryOptions::new().lease);
        assert_eq!(delivery("lease_ms = 3000").options().unwrap().lease, Duration::from_secs(3));
        let error = delivery("lease_ms = 0").options().unwrap_err();
        assert_eq!(error.kind(), unibox::ErrorKind::Configuration);
        assert!(error.to_string().contains("lease_ms"), "{error}");
    }

    /// `[bus] kind = "postgres"` on the PostgreSQL store: the bus listens on the store's
    /// database, and the hub runs no relay (the store notifies as it commits).
    #[cfg(feature = "store-postgres")]
    #[tokio::test]
    async fn on_postgres_a_postgres_bus_connects_to_the_store_s_database() {
        use unibox_store_postgres::testing::TestDatabase;

        let Some(database) = TestDatabase::create("server_example_pg_bus").await else { return };
        let config = config(
            r#"
            listen = "127.0.0.1:0"
            database = "unused.db"
            [storage]
            backend = "postgres"
            postgres_url_env = "TEST_APP_URL"
            postgres_pool_size = 2
            [bus]
            kind = "postgres"
            "#,
        );
        let settings = config.bus.as_ref().unwrap().settings(config.storage.backend).unwrap();
        let app = database.app_url();
        let env = |name: &str| (name == "TEST_APP_URL").then(|| app.clone());
        let keys = StoreKeys::try_from(Keyring::ephemeral()).unwrap();
        let opened = open_store(&config, keys, env).await.unwrap();
        let bus = connect_bus(&settings, &opened).await.unwrap();
        assert!(!bus.needs_relay(), "the PostgreSQL store notifies as it commits");
        let hub = opened.hub.change_bus(bus).build();
        let background = hub.start_background();
        assert!(background.delivers());
        assert!(!background.relays_to_bus());
        background.shutdown().await;
    }

    #[cfg(feature = "store-postgres")]
    #[tokio::test]
    async fn an_unset_postgres_url_variable_is_refused_by_name_before_connecting() {
        let config = config(
            "listen = \"127.0.0.1:8080\"\ndatabase = \"x.db\"\n[storage]\nbackend = \"postgres\"\npostgres_url_env = \"UNIBOX_TEST_UNSET_PG_URL\"",
        );
        let keys = StoreKeys::try_from(Keyring::ephemeral()).unwrap();
        let error = match open_store(&config, keys, |_| None).await {
            Ok(_) => panic!("an unset variable must be refused"),
            Err(error) => error.to_string(),
        };
        assert!(error.contains("UNIBOX_TEST_UNSET_PG_URL"), "{error}");
    }

    #[cfg(feature = "store-postgres")]
    #[tokio::test]
    async fn an_unreadable_postgres_ca_file_is_refused_by_name_before_connecting() {
        let config = config(
            "listen = \"127.0.0.1:8080\"\ndatabase = \"x.db\"\n[storage]\nbackend = \"postgres\"\n\
             postgres_url_env = \"TEST_APP_URL\"\npostgres_ca_file = \"/nonexistent/unibox-pg-ca.pem\"",
        );
        let keys = StoreKeys::try_from(Keyring::ephemeral()).unwrap();
        let env = |name: &str| (name == "TEST_APP_URL").then(|| "host=localhost user=app sslmode=require".to_owned());
        let error = match open_store(&config, keys, env).await {
            Ok(_) => panic!("an unreadable CA file must be refused"),
            Err(error) => error.to_string(),
        };
        assert!(error.contains("postgres_ca_file") && error.contains("/nonexistent/unibox-pg-ca.pem"), "{error}");
    }

    /// The server's store setup on PostgreSQL (migrating as the owner role, serving as the
    /// application role): a signed webhook is accepted and its message read back.
    #[cfg(feature = "store-postgres")]
    #[tokio::test]
    async fn on_postgres_a_signed_webhook_is_stored_and_read_back() {
        use unibox::channel::WebhookRequest;
        use unibox_store_postgres::testing::TestDatabase;

        // Migrated here only to get the roles; the server migrates again (a no-op) as the owner.
        let Some(database) = TestDatabase::create("server_example_webhook").await else { return };
        let config = config(
            r#"
            listen = "127.0.0.1:0"
            database = "unused.db"
            [storage]
            backend = "postgres"
            postgres_url_env = "TEST_APP_URL"
            postgres_owner_url_env = "TEST_OWNER_URL"
            postgres_pool_size = 2
            [[channel]]
            id = "acme-orders"
            kind = "webhook"
            secret_env = "UNIBOX_TEST_UNSET_WEBHOOK_SECRET"
            [[account]]
            tenant = "acme"
            channel = "acme-orders"
            platform_account_id = "shop-bangkok"
            "#,
        );
        let (app, owner) = (database.app_url(), database.owner_url());
        let env = |name: &str| match name {
            "TEST_APP_URL" => Some(app.clone()),
            "TEST_OWNER_URL" => Some(owner.clone()),
            _ => None,
        };
        let keys = StoreKeys::try_from(Keyring::ephemeral()).unwrap();
        let opened = open_store(&config, keys, env).await.unwrap();
        assert!(opened.sqlite.is_none());
        assert!(opened.location.contains(database.app_role()), "{}", opened.location);
        assert!(!opened.location.contains("postgres://"), "{}", opened.location);

        let secret = SecretString::from(SANDBOX_SECRET);
        let http = Arc::new(ReqwestClient::new());
        let channel = build_channel(&config.channels[0], &secret, &config, None, &http).unwrap();
        let kinds = HashMap::from([(config.channels[0].id.clone(), channel.kind())]);
        let hub = opened.hub.channel(config.channels[0].id.clone(), channel).build();
        ensure_accounts(&hub, &config.accounts, &kinds, false).await.unwrap();

        let body = br#"{"account":"shop-bangkok","events":[{"kind":{"type":"message","customer":{"kind":"external","id":"cust-1001","display_name":"Somchai P."},"direction":"inbound","message_id":"m-1","content":{"type":"text","text":"Where is my order #A1234?"}}}]}"#;
        let now = Timestamp::now().as_unix_millis() / 1000;
        let signature = WebhookSecret::parse(SecretString::from(SANDBOX_SECRET)).unwrap().sign("msg_pg_1", now, body);
        let request = WebhookRequest::post("http://127.0.0.1/webhooks/acme-orders".parse().unwrap(), &body[..])
            .with_header("content-type", "application/json")
            .with_header("webhook-id", "msg_pg_1")
            .with_header("webhook-timestamp", &now.to_string())
            .with_header("webhook-signature", &signature);
        let response = hub.handle_webhook(&config.channels[0].id, request).await;
        assert_eq!(response.status.as_u16(), 200, "{:?}", response.body);

        let tenant: TenantId = "acme".parse().unwrap();
        let agent = Actor::user(tenant.clone(), "agent-1".parse().unwrap(), Role::Agent);
        let conversations = hub.conversations(&agent, &ConversationQuery::new()).await.unwrap();
        assert_eq!(conversations.items.len(), 1);
        let messages = hub.messages(&agent, conversations.items[0].id, &MessageQuery::new()).await.unwrap();
        assert_eq!(messages.items.len(), 1);
        assert_eq!(messages.items[0].direction, Direction::Inbound);
        assert_eq!(messages.items[0].content.searchable_text().as_deref(), Some("Where is my order #A1234?"));
    }

    #[cfg(all(
        feature = "channel-telegram",
        feature = "channel-twilio",
        feature = "channel-shopee",
        feature = "channel-lazada",
        feature = "channel-tiktok-shop"
    ))]
    #[tokio::test]
    async fn each_chat_and_marketplace_kind_builds_and_verifies_at_its_configured_url() {
        use unibox::channel::WebhookRequest;

        let config = config(
            r#"
            listen = "127.0.0.1:8080"
            database = "unused.db"
            public_url = "https://inbox.example.com"
            [[channel]]
            id = "tg"
            kind = "telegram"
            secret_env = "UNIBOX_TEST_UNSET_TG_SECRET"
            bot_token_env = "UNIBOX_TEST_UNSET_TG_TOKEN"
            [[channel]]
            id = "sms"
            kind = "twilio"
            secret_env = "UNIBOX_TEST_UNSET_TWILIO_TOKEN"
            account_sid = "AC3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"
            [[channel]]
            id = "shopee"
            kind = "shopee"
            secret_env = "UNIBOX_TEST_UNSET_SHOPEE_KEY"
            partner_id = 2001887
            [[channel]]
            id = "lazada"
            kind = "lazada"
            secret_env = "UNIBOX_TEST_UNSET_LAZADA_SECRET"
            app_key = "115527"
            [[channel]]
            id = "tts"
            kind = "tiktok-shop"
            secret_env = "UNIBOX_TEST_UNSET_TTS_SECRET"
            app_key = "6a1b2c3d4e5f6"
            "#,
        );
        let sandbox = Sandbox::start().await.unwrap();
        let http = Arc::new(ReqwestClient::new());
        let secret = SecretString::from(SANDBOX_SECRET);
        let built: HashMap<&str, Arc<dyn Channel>> = config
            .channels
            .iter()
            .map(|c| (c.id.as_str(), build_channel(c, &secret, &config, Some(&sandbox), &http).unwrap()))
            .collect();
        assert_eq!(built["tg"].kind(), ChannelKind::TELEGRAM);
        assert_eq!(built["sms"].kind(), ChannelKind::TWILIO);
        assert_eq!(built["shopee"].kind(), ChannelKind::SHOPEE);
        assert_eq!(built["lazada"].kind(), ChannelKind::LAZADA);
        assert_eq!(built["tts"].kind(), ChannelKind::TIKTOK_SHOP);

        // Twilio and Shopee sign the public URL: a request signed for public_url + /webhooks/<id>
        // verifies, one signed for another URL does not.
        let url = "https://inbox.example.com/webhooks/sms";
        let form = b"MessageSid=SM1&From=%2B66812345678&To=%2B14155550100&Body=hi&SmsStatus=received";
        let signed = |signed_url: &str| {
            WebhookRequest::post(url.parse().unwrap(), &form[..]).with_header(
                "X-Twilio-Signature",
                &unibox::channels::twilio::signature_header(SANDBOX_SECRET, signed_url, form),
            )
        };
        assert!(built["sms"].verify(&signed(url)).is_ok());
        let proxied = built["sms"].verify(&signed("http://10.0.0.7:8080/webhooks/sms")).unwrap_err();
        assert_eq!(proxied.kind(), unibox::ErrorKind::SignatureInvalid);
        let callback = "https://inbox.example.com/webhooks/shopee";
        let body = br#"{"shop_id":947042923,"code":0,"timestamp":1726044722,"data":{}}"#;
        let push = WebhookRequest::post(callback.parse().unwrap(), &body[..]).with_header(
            "Authorization",
            &unibox::channels::shopee::push_authorization(SANDBOX_SECRET, callback, body),
        );
        assert!(built["shopee"].verify(&push).is_ok());
        let telegram = WebhookRequest::post("https://inbox.example.com/webhooks/tg".parse().unwrap(), "{}")
            .with_header("X-Telegram-Bot-Api-Secret-Token", SANDBOX_SECRET);
        assert!(built["tg"].verify(&telegram).is_ok());
    }

    #[cfg(all(feature = "channel-telegram", feature = "channel-twilio"))]
    #[tokio::test]
    async fn without_the_sandbox_a_missing_bot_token_or_public_url_is_refused_by_name() {
        let config = config(
            r#"
            listen = "127.0.0.1:8080"
            database = "unused.db"
            [[channel]]
            id = "tg"
            kind = "telegram"
            secret_env = "UNIBOX_TEST_UNSET_TG_SECRET"
            bot_token_env = "UNIBOX_TEST_UNSET_TG_TOKEN"
            [[channel]]
            id = "sms"
            kind = "twilio"
            secret_env = "UNIBOX_TEST_UNSET_TWILIO_TOKEN"
            account_sid = "AC3f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c"
            "#,
        );
        let http = Arc::new(ReqwestClient::new());
        let secret = SecretString::from(SANDBOX_SECRET);
        let telegram = build_channel(&config.channels[0], &secret, &config, None, &http).err().unwrap();
        assert!(telegram.to_string().contains("UNIBOX_TEST_UNSET_TG_TOKEN"), "{telegram}");
        let twilio = build_channel(&config.channels[1], &secret, &config, None, &http).err().unwrap();
        assert!(twilio.to_string().contains("public_url"), "{twilio}");
    }
}
