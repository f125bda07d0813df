//! Exports for the embedding application: a tenant's or a contact's data as JSON Lines,
//! authorized and audited.

use tokio::io::AsyncWrite;

use crate::audit::{AuditOutcome, actions, targets};
use crate::hub::Hub;
use crate::privacy::export::{ExportScope, RecordCounts, export};
use crate::{Action, Actor, Resource, Result};

impl Hub {
    /// Writes an export of the actor's tenant (or of one contact) to `out` with
    /// [`privacy::export::export`](crate::privacy::export::export). Requires
    /// [`Action::ExportData`] (the Admin role); audited as `privacy.export` on the tenant
    /// (`tenant:<id>`) or the contact (`contact:<id>`), success or failure, and when denied.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> unibox_core::Result<()> {
    /// use unibox_core::privacy::export::ExportScope;
    /// use unibox_core::{Actor, Hub, Role, memory::MemoryStore};
    /// let hub = Hub::builder(MemoryStore::new()).build();
    /// let admin = Actor::user("acme".parse()?, "ann".parse()?, Role::Admin);
    /// let mut out = Vec::new();
    /// hub.export_data(&admin, &ExportScope::Tenant, &mut out).await?;
    /// let agent = Actor::user("acme".parse()?, "bob".parse()?, Role::Agent);
    /// assert!(hub.export_data(&agent, &ExportScope::Tenant, &mut Vec::new()).await.is_err());
    /// # Ok(())
    /// # }
    /// ```
    pub async fn export_data<W: AsyncWrite + Unpin + Send>(
        &self,
        actor: &Actor,
        scope: &ExportScope,
        out: &mut W,
    ) -> Result<RecordCounts> {
        let target = match scope {
            ExportScope::Tenant => targets::tenant(actor.tenant()),
            ExportScope::Contact { contact } => targets::contact(*contact),
        };
        self.authorize_audited(actor, Action::ExportData, Resource::Tenant, actions::PRIVACY_EXPORT, &target).await?;
        let now = self.inner.clock.now();
        let result = export(&self.inner.store, actor.tenant(), scope, now, out).await;
        let outcome = match &result {
            Ok(_) => AuditOutcome::Success,
            Err(error) => AuditOutcome::Failed { error: error.kind().as_str().to_owned() },
        };
        self.audit_after_the_fact(actor, actions::PRIVACY_EXPORT, target, outcome).await;
        result
    }
}
