//! The subject and message id of a tenant's events.

use unibox_core::TenantId;
use unibox_core::changes::Position;

/// `<prefix>.<tenant>`, with each `.` of the tenant id written `~`: a tenant id may contain dots
/// (subject token separators) but never `~`, so distinct tenants keep distinct subjects.
///
/// ```
/// # use unibox_bus_nats::tenant_subject;
/// assert_eq!(tenant_subject("unibox.changes", &"acme.eu".parse().unwrap()), "unibox.changes.acme~eu");
/// ```
pub fn tenant_subject(prefix: &str, tenant: &TenantId) -> String {
    format!("{prefix}.{}", tenant.as_str().replace('.', "~"))
}

/// The JetStream message id of an event: the same event published twice, by two relays or one
/// relay retrying, is stored once within the stream's duplicate window.
pub(crate) fn message_id(tenant: &TenantId, position: Position) -> String {
    format!("{tenant}:{position}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenants_with_dots_get_their_own_subject_token() {
        let dotted: TenantId = "acme.eu".parse().unwrap();
        let other: TenantId = "acme_eu".parse().unwrap();
        assert_eq!(tenant_subject("p", &dotted), "p.acme~eu");
        assert_ne!(tenant_subject("p", &dotted), tenant_subject("p", &other));
        assert_eq!(tenant_subject("p", &"a:b@c".parse().unwrap()), "p.a:b@c");
        assert_eq!(message_id(&dotted, Position::new(42)), "acme.eu:42");
    }
}
