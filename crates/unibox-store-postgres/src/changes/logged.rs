//! [`PostgresInbox::logged_tx`]: a tenant's unit of work that logs its changes.

use unibox_core::changes::Change;
use unibox_core::{Result, TenantId};

use super::append_all;
use crate::inbox::PostgresInbox;
use crate::pool::{Tx, TxFuture};
use crate::sealing::{Access, Seal};

impl PostgresInbox {
    /// Runs `work` in one transaction scoped to `tenant` with the tenant's seal, then appends
    /// the changes it logged (last, so the change log's head is locked after everything else).
    pub(crate) async fn logged_tx<T, F>(
        &self,
        operation: &'static str,
        tenant: &TenantId,
        access: Access,
        work: F,
    ) -> Result<T>
    where
        T: Send + 'static,
        F: for<'t> FnOnce(&'t Tx<'t>, &'t Seal, &'t mut Vec<Change>) -> TxFuture<'t, T> + Send + 'static,
    {
        let seal = self.keys.seal(tenant, access).await?;
        self.db
            .tenant_tx(operation, tenant, move |tx| {
                Box::pin(async move {
                    let mut log = Vec::new();
                    let value = work(tx, &seal, &mut log).await?;
                    append_all(tx, &log).await?;
                    Ok(value)
                })
            })
            .await
    }
}
