//! Routing inbound events to channel accounts, with a cache so the hot path does not read the
//! store for every event.

use std::collections::HashMap;
use std::sync::RwLock;

use crate::{ChannelAccount, ChannelAccountId, ChannelId, Error, ErrorKind, Inbox, Result, TenantId};

/// Maps (channel, platform account id) to the owning tenant and account id.
#[derive(Debug, Default)]
pub(crate) struct RouteCache {
    routes: RwLock<HashMap<(ChannelId, String), (TenantId, ChannelAccountId)>>,
}

impl RouteCache {
    pub(crate) fn remember(&self, account: &ChannelAccount) {
        let mut routes = self.routes.write().unwrap_or_else(|p| p.into_inner());
        routes.insert(
            (account.channel.clone(), account.platform_account_id.clone()),
            (account.tenant.clone(), account.id),
        );
    }

    pub(crate) fn forget(&self, account: &ChannelAccount) {
        let mut routes = self.routes.write().unwrap_or_else(|p| p.into_inner());
        routes.remove(&(account.channel.clone(), account.platform_account_id.clone()));
    }

    /// The route for an event, from the cache or the store. Disconnected accounts have none.
    pub(crate) async fn resolve(
        &self,
        inbox: &dyn Inbox,
        channel: &ChannelId,
        platform_account_id: &str,
    ) -> Result<(TenantId, ChannelAccountId)> {
        let key = (channel.clone(), platform_account_id.to_string());
        if let Some(route) = self.routes.read().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(route.clone());
        }
        match inbox.route(channel, platform_account_id).await? {
            Some(account) if account.state != crate::ChannelAccountState::Disconnected => {
                self.remember(&account);
                Ok((account.tenant, account.id))
            }
            _ => Err(Error::new(
                ErrorKind::NotFound,
                format!(
                    "no connected account {platform_account_id:?} on channel {channel}; connect it with Hub::connect_account"
                ),
            )),
        }
    }
}
