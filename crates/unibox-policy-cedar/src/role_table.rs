//! The built-in role table of unibox, written in Cedar.

/// Cedar policies equivalent to [`RolePolicy`](unibox_core::RolePolicy): the same permissions
/// for Admin, Agent, Viewer and automations, and a `forbid` on every resource of another
/// tenant. Start from it and add your own rules (a `forbid` always wins over a `permit`).
///
/// ```
/// let policy = unibox_policy_cedar::CedarPolicy::from_text(unibox_policy_cedar::ROLE_TABLE_POLICIES).unwrap();
/// # let _ = policy;
/// ```
pub const ROLE_TABLE_POLICIES: &str = r#"
// Admins may do everything.
permit (principal, action, resource)
when { principal has role && principal.role == "admin" };

// Agents work conversations and contacts, and read analytics.
permit (
    principal,
    action in [
        Unibox::Action::"read_conversations",
        Unibox::Action::"send_message",
        Unibox::Action::"add_note",
        Unibox::Action::"assign_conversation",
        Unibox::Action::"update_conversation",
        Unibox::Action::"edit_contacts",
        Unibox::Action::"view_analytics"
    ],
    resource
)
when { principal has role && principal.role == "agent" };

// Viewers read; they never send, note, assign or export.
permit (
    principal,
    action in [Unibox::Action::"read_conversations", Unibox::Action::"view_analytics"],
    resource
)
when { principal has role && principal.role == "viewer" };

// Automations (auto-reply, AI assistant, auto-assignment) work conversations.
permit (
    principal is Unibox::Automation,
    action in [
        Unibox::Action::"read_conversations",
        Unibox::Action::"send_message",
        Unibox::Action::"add_note",
        Unibox::Action::"assign_conversation",
        Unibox::Action::"update_conversation"
    ],
    resource
);

// Nobody acts on another tenant's data.
forbid (principal, action, resource)
unless { resource.tenant == principal.tenant };
"#;
