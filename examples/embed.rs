//! Embedding unibox in a product, every part production-grade: one SQLite file for the inbox,
//! the tokens sealed by the vault and the audit chain; keys and secrets from the environment;
//! accounts ensured on every start; the background work (delivery worker, analytics) started
//! explicitly; a clean shutdown.
//!
//! ```sh
//! export UNIBOX_VAULT_KEYS="1:$(head -c 32 /dev/urandom | base64)"   # once; keep it
//! export ACME_WEBHOOK_SECRET=whsec_...        # the order system's Standard Webhooks secret
//! export ACME_SEND_URL=https://crm.example.com/unibox-outbound
//! export ACME_CRM_TOKEN=...                   # the bearer token replies carry (optional)
//! cargo run --example embed                   # UNIBOX_DATABASE=inbox.db by default
//! ```
//!
//! Run it twice: the second start reopens the same file and finds the account, its sealed
//! token and the audit chain where the first left them. `tests/embed.rs` does exactly that.
//! Mount [`Embedded::hub`]'s webhook handling in your HTTP server (`Hub::handle_webhook`, or
//! the `unibox::server` router with the `server-axum` feature, as `examples/server.rs` does).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use unibox::channels::webhook::{WebhookChannel, WebhookChannelConfig};
use unibox::http::ReqwestClient;
use unibox::hub::Background;
use unibox::secrecy::SecretString;
use unibox::store::sqlite::{SqliteInbox, SqliteStore};
use unibox::vault::StoreKeys;
use unibox::{Actor, ChannelAccount, ChannelId, ChannelKind, Hub, Role, TenantId, Timestamp, TokenSet};

/// What the embedding reads from its environment.
pub(crate) struct Settings {
    /// The store's file.
    pub(crate) database: PathBuf,
    /// The vault's keys (and, derived from them, the audit checkpoint key).
    pub(crate) keys: StoreKeys,
    /// The order system's Standard Webhooks secret.
    pub(crate) webhook_secret: SecretString,
    /// Where replies are posted.
    pub(crate) send_url: url::Url,
    /// The bearer token replies carry, if the order system wants one.
    pub(crate) token: Option<String>,
}

impl Settings {
    /// Reads `UNIBOX_DATABASE` (default `inbox.db`), `UNIBOX_VAULT_KEYS`, `ACME_WEBHOOK_SECRET`,
    /// `ACME_SEND_URL` and `ACME_CRM_TOKEN` (optional); a missing one is named in the error.
    pub(crate) fn from_env() -> Result<Self, Box<dyn std::error::Error>> {
        let required = |name: &str| std::env::var(name).map_err(|_| format!("set {name} (see examples/embed.rs)"));
        Ok(Settings {
            database: std::env::var_os("UNIBOX_DATABASE").map_or_else(|| "inbox.db".into(), PathBuf::from),
            keys: StoreKeys::from_env("UNIBOX_VAULT_KEYS")?,
            webhook_secret: SecretString::from(required("ACME_WEBHOOK_SECRET")?),
            send_url: required("ACME_SEND_URL")?.parse()?,
            token: std::env::var("ACME_CRM_TOKEN").ok(),
        })
    }
}

/// The running embedding: the hub and its background work.
pub(crate) struct Embedded {
    /// The hub: hand it every webhook and every agent action.
    pub(crate) hub: Hub,
    inbox: Arc<SqliteInbox>,
    background: Background,
}

/// The tenant this example serves, its channel and its account on the order system.
pub(crate) fn tenant() -> TenantId {
    "acme".parse().expect("a valid tenant id")
}

fn channel_id() -> ChannelId {
    "acme-orders".parse().expect("a valid channel id")
}

/// Opens the store, assembles the hub, ensures the account and starts the background work.
/// Safe to run on every start.
pub(crate) async fn start(settings: Settings) -> Result<Embedded, Box<dyn std::error::Error>> {
    let store = SqliteStore::open(&settings.database, settings.keys).await?;
    let inbox = store.inbox().clone();
    let config = WebhookChannelConfig::builder().secret(settings.webhook_secret).send_url(settings.send_url).build()?;
    let channel = WebhookChannel::new(config).with_http_client(Arc::new(ReqwestClient::new()));
    let hub = Hub::builder(store).channel(channel_id(), Arc::new(channel)).build();

    // Start-up code runs on every start: ensure, never connect-once.
    let operator = Actor::user(tenant(), "ops".parse()?, Role::Admin);
    let account = ChannelAccount::new(tenant(), channel_id(), ChannelKind::WEBHOOK, "shop-bangkok", Timestamp::now())
        .with_display_name("Acme Bangkok shop");
    let account = hub.ensure_account(&operator, account, settings.token.map(TokenSet::new)).await?;
    tracing::info!(account = %account.id, "account ready");

    // Retries sends a platform refused for now (429, 5xx) and sends what a crash left queued.
    let background = hub.start_background();
    Ok(Embedded { hub, inbox, background })
}

impl Embedded {
    /// Stops the background work, lets go of the hub and closes the file once nothing else holds it.
    pub(crate) async fn shutdown(self) {
        self.background.shutdown().await;
        drop(self.hub);
        let mut inbox = self.inbox;
        // The hub's background tasks let go of the store shortly after the hub is dropped.
        for _ in 0..100 {
            match Arc::try_unwrap(inbox) {
                Ok(owned) => return owned.close().await,
                Err(shared) => inbox = shared,
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Still shared: every acknowledged write is already durable; the rest finishes on drop.
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().with_target(false).init();
    let settings = Settings::from_env()?;
    let database = settings.database.clone();
    let embedded = start(settings).await?;
    if let Some(trail) = embedded.hub.audit_trail() {
        let verification = trail.verify(&tenant()).await?;
        println!(
            "unibox is up on {}: audit chain of {} records, intact: {}",
            database.display(),
            verification.records,
            verification.is_intact()
        );
    }
    println!("hand webhooks to Hub::handle_webhook in your server; Ctrl-C stops");
    tokio::signal::ctrl_c().await?;
    embedded.shutdown().await;
    Ok(())
}
