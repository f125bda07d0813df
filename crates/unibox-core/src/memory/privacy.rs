use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use async_trait::async_trait;

use crate::privacy::{DeletionRequest, DeletionRequestStore, DeletionStatus};
use crate::{ContactId, Error, ErrorKind, Result, TenantId, Timestamp};

#[derive(Default)]
struct State {
    links: HashMap<(TenantId, String, String), Vec<ContactId>>,
    requests: HashMap<(TenantId, String), DeletionRequest>,
}

/// Privacy requests in process memory, for tests and trials.
#[derive(Default)]
pub struct MemoryDeletionRequests {
    state: Mutex<State>,
}

impl MemoryDeletionRequests {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // Every update is a single insert, so a poisoned lock still holds consistent data.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl std::fmt::Debug for MemoryDeletionRequests {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryDeletionRequests").field("requests", &self.state().requests.len()).finish()
    }
}

#[async_trait]
impl DeletionRequestStore for MemoryDeletionRequests {
    async fn link_platform_user(
        &self,
        tenant: &TenantId,
        platform: &str,
        platform_user_id: &str,
        contact: ContactId,
    ) -> Result<()> {
        let mut state = self.state();
        let contacts =
            state.links.entry((tenant.clone(), platform.to_owned(), platform_user_id.to_owned())).or_default();
        if !contacts.contains(&contact) {
            contacts.push(contact);
        }
        Ok(())
    }

    async fn linked_contacts(
        &self,
        tenant: &TenantId,
        platform: &str,
        platform_user_id: &str,
    ) -> Result<Vec<ContactId>> {
        let key = (tenant.clone(), platform.to_owned(), platform_user_id.to_owned());
        Ok(self.state().links.get(&key).cloned().unwrap_or_default())
    }

    async fn open(&self, request: DeletionRequest) -> Result<DeletionRequest> {
        let mut state = self.state();
        let key = (request.tenant.clone(), request.confirmation_code.clone());
        Ok(state.requests.entry(key).or_insert(request).clone())
    }

    async fn get(&self, tenant: &TenantId, confirmation_code: &str) -> Result<Option<DeletionRequest>> {
        Ok(self.state().requests.get(&(tenant.clone(), confirmation_code.to_owned())).cloned())
    }

    async fn set_status(
        &self,
        tenant: &TenantId,
        confirmation_code: &str,
        status: DeletionStatus,
        at: Timestamp,
    ) -> Result<DeletionRequest> {
        let mut state = self.state();
        let request = state.requests.get_mut(&(tenant.clone(), confirmation_code.to_owned())).ok_or_else(|| {
            Error::new(ErrorKind::NotFound, "no deletion request with this confirmation code")
                .with_operation("privacy.set_status")
        })?;
        request.status = status;
        request.updated_at = at;
        Ok(request.clone())
    }

    async fn pending(&self, tenant: &TenantId) -> Result<Vec<DeletionRequest>> {
        let mut pending: Vec<DeletionRequest> =
            self.state().requests.values().filter(|r| &r.tenant == tenant && r.status.is_pending()).cloned().collect();
        pending.sort_by(|a, b| (a.requested_at, &a.confirmation_code).cmp(&(b.requested_at, &b.confirmation_code)));
        Ok(pending)
    }
}

impl MemoryDeletionRequests {
    /// Forgets the platform-user links of `tenant` (all, or those to `contact`); requests stay.
    pub(crate) fn forget_links(&self, tenant: &TenantId, contact: Option<ContactId>) {
        let mut state = self.state();
        state.links.retain(|(owner, _, _), contacts| {
            if owner != tenant {
                return true;
            }
            match contact {
                None => false,
                Some(contact) => {
                    contacts.retain(|c| *c != contact);
                    !contacts.is_empty()
                }
            }
        });
    }
}

impl MemoryDeletionRequests {
    pub(crate) fn tenants_with_pending(&self) -> Vec<TenantId> {
        self.state().requests.values().filter(|r| r.status.is_pending()).map(|r| r.tenant.clone()).collect()
    }
}
