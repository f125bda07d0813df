//! The one place a workflow change is announced: the audit trail, analytics and the log.
//!
//! Store-side changes (conversation updates, read markers, notes, contact edits) are already in
//! the inbox's change log, appended in the store's own transaction; this adds what the hub
//! alone knows (who did it, what analytics learns from it).

use crate::Actor;
use crate::analytics::Observation;
use crate::audit::AuditOutcome;
use crate::hub::Hub;
use crate::workflow::WorkflowEvent;

impl Hub {
    /// Announces a change that happened: it is audited (after the fact: the change is made, so
    /// an audit failure is logged rather than returned) and fed to analytics.
    pub(crate) async fn workflow_changed(&self, actor: &Actor, event: WorkflowEvent, observation: Option<Observation>) {
        self.audit_after_the_fact(actor, event.action(), event.target(), AuditOutcome::Success).await;
        if let Some(observation) = observation {
            self.observe(actor.tenant(), vec![observation]).await;
        }
        tracing::debug!(target: "unibox::workflow", tenant = %actor.tenant(), action = event.action(), "inbox changed");
    }
}
