//! The one place a workflow change is announced: the audit trail, analytics and the log.
//!
//! Store-side changes (conversation updates, read markers, notes, contact edits) are already in
//! the inbox's change log, appended in the store's own transaction (analytics learn from it);
//! this adds what the hub alone knows (who did it).

use crate::Actor;
use crate::audit::AuditOutcome;
use crate::hub::Hub;
use crate::workflow::WorkflowEvent;

impl Hub {
    /// Announces a change that happened: it is audited (after the fact: the change is made, so
    /// an audit failure is logged rather than returned), and analytics are told to catch up.
    pub(crate) async fn workflow_changed(&self, actor: &Actor, event: WorkflowEvent) {
        self.audit_after_the_fact(actor, event.action(), event.target(), AuditOutcome::Success).await;
        self.analytics_changed([actor.tenant()]);
        tracing::debug!(target: "unibox::workflow", tenant = %actor.tenant(), action = event.action(), "inbox changed");
    }
}
