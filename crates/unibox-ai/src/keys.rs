//! Provider API keys, kept in the token vault like platform tokens: sealed at rest, never in a
//! config struct, a log or an error.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use unibox_core::{ChannelAccountId, Error, ErrorKind, Result, TenantId, TokenSet, TokenStore};

/// Whose key pays for a call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyScope {
    /// One key for the whole deployment, stored under this tenant (for example an operator
    /// tenant such as `platform`).
    Deployment(TenantId),
    /// Each tenant brings its own key, stored under the tenant.
    EachTenant,
}

/// Where a provider's API key lives in the [`TokenStore`] (the vault): a slot per provider whose
/// id is derived from the provider's name, so it never collides with a channel account.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::sync::Arc;
/// use unibox_ai::{ApiKeys, KeyScope};
/// use unibox_core::memory::MemoryTokenStore;
/// let keys = ApiKeys::new(Arc::new(MemoryTokenStore::new()), KeyScope::Deployment("platform".parse().unwrap()));
/// keys.store("openai", &"acme".parse().unwrap(), "sk-test-123".to_string().into()).await.unwrap();
/// assert!(keys.key("openai", &"globex".parse().unwrap()).await.is_ok()); // one key for everyone
/// assert!(!format!("{keys:?}").contains("sk-test"));
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct ApiKeys {
    tokens: Arc<dyn TokenStore>,
    scope: KeyScope,
}

impl ApiKeys {
    /// Keys in `tokens` (the hub's token store: `hub.tokens().clone()`), scoped by `scope`.
    pub fn new(tokens: Arc<dyn TokenStore>, scope: KeyScope) -> Self {
        ApiKeys { tokens, scope }
    }

    /// The vault slot of `provider`'s key.
    ///
    /// ```
    /// assert_ne!(unibox_ai::ApiKeys::slot("openai"), unibox_ai::ApiKeys::slot("anthropic"));
    /// ```
    pub fn slot(provider: &str) -> ChannelAccountId {
        let digest = Sha256::digest(format!("unibox-ai/api-key/{provider}").as_bytes());
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        ChannelAccountId::from_bytes(id)
    }

    fn owner<'a>(&'a self, tenant: &'a TenantId) -> &'a TenantId {
        match &self.scope {
            KeyScope::Deployment(owner) => owner,
            KeyScope::EachTenant => tenant,
        }
    }

    /// Stores `provider`'s key for `tenant` (or for the deployment, by scope); replaces an
    /// earlier one. Run on every start or when a tenant saves its key.
    pub async fn store(&self, provider: &str, tenant: &TenantId, key: SecretString) -> Result<()> {
        self.tokens.put(self.owner(tenant), Self::slot(provider), TokenSet::new(key.expose_secret())).await
    }

    /// The key to call `provider` with for `tenant`; `Configuration` when none is stored.
    pub async fn key(&self, provider: &str, tenant: &TenantId) -> Result<SecretString> {
        let owner = self.owner(tenant);
        match self.tokens.get(owner, Self::slot(provider)).await? {
            Some(tokens) => Ok(tokens.access_token),
            None => Err(Error::new(
                ErrorKind::Configuration,
                format!(
                    "no {provider} API key is stored in the vault for tenant {owner}; store one with ApiKeys::store"
                ),
            )),
        }
    }
}
