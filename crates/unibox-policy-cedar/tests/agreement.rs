//! The Cedar translation of the role table agrees with `RolePolicy` on every role × action ×
//! resource combination, own tenant and other tenant.

use unibox_core::policy::missing_permission;
use unibox_core::{
    Action, Actor, ChannelAccount, ChannelKind, ContactId, Conversation, ConversationId, ConversationStatus, ErrorKind,
    Policy, Resource, Role, RolePolicy, TenantId, Timestamp,
};
use unibox_policy_cedar::CedarPolicy;

fn account(tenant: &TenantId, kind: ChannelKind) -> ChannelAccount {
    ChannelAccount::new(tenant.clone(), "acme-ch".parse().unwrap(), kind, "U123", Timestamp::UNIX_EPOCH)
}

fn conversation(account: &ChannelAccount, assignee: Option<&str>) -> Conversation {
    Conversation {
        id: ConversationId::new(),
        tenant: account.tenant.clone(),
        account: account.id,
        contact: ContactId::new(),
        status: ConversationStatus::Open,
        snoozed_until: None,
        assignee: assignee.map(|a| a.parse().unwrap()),
        tags: Vec::new(),
        unread_count: 0,
        last_inbound_at: None,
        last_activity_at: Timestamp::from_unix_seconds(1_732_170_000),
        created_at: Timestamp::from_unix_seconds(1_732_170_000),
    }
}

#[test]
fn cedar_role_table_agrees_with_role_policy_everywhere() {
    let cedar = CedarPolicy::role_table().unwrap();
    let acme: TenantId = "acme".parse().unwrap();
    let globex: TenantId = "globex".parse().unwrap();
    let accounts: Vec<ChannelAccount> = [&acme, &globex]
        .into_iter()
        .flat_map(|t| [account(t, ChannelKind::LINE), account(t, ChannelKind::SHOPEE)])
        .collect();
    let conversations: Vec<Conversation> = accounts
        .iter()
        .flat_map(|a| [conversation(a, None), conversation(a, Some("nok")), conversation(a, Some("pim"))])
        .collect();
    let mut resources = vec![Resource::Tenant];
    resources.extend(accounts.iter().map(Resource::ChannelAccount));
    resources.extend(conversations.iter().map(Resource::Conversation));
    let actors = [
        Actor::user(acme.clone(), "nok".parse().unwrap(), Role::Admin),
        Actor::user(acme.clone(), "nok".parse().unwrap(), Role::Agent),
        Actor::user(acme.clone(), "nok".parse().unwrap(), Role::Viewer),
        Actor::automation(acme.clone(), "auto-reply"),
    ];
    let mut checked = 0;
    let mut allowed = 0;
    for actor in &actors {
        for action in Action::ALL {
            for resource in &resources {
                let expected = RolePolicy.authorize(actor, action, *resource);
                let actual = cedar.authorize(actor, action, *resource);
                assert_eq!(actual.is_ok(), expected.is_ok(), "{actor} {action} on a {}", resource.kind());
                if let Err(err) = actual {
                    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
                    assert_eq!(missing_permission(&err), Some(action));
                } else {
                    allowed += 1;
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 4 * 15 * (1 + 4 + 12));
    assert!(allowed > 0 && allowed < checked, "both decisions occur");
}

#[test]
fn custom_rules_refine_the_role_table() {
    // A policy set that does not parse is a Configuration error.
    let err = CedarPolicy::from_text("permit (principal, action, resource) when {").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Configuration);

    let shopee_forbidden = format!(
        r#"{}
        forbid (principal, action, resource is Unibox::ChannelAccount) when {{ resource.platform == "shopee" }};"#,
        unibox_policy_cedar::ROLE_TABLE_POLICIES
    );
    let cedar = CedarPolicy::from_text(&shopee_forbidden).unwrap();
    let acme: TenantId = "acme".parse().unwrap();
    let admin = Actor::user(acme.clone(), "ann".parse().unwrap(), Role::Admin);
    let line = account(&acme, ChannelKind::LINE);
    let shopee = account(&acme, ChannelKind::SHOPEE);
    assert!(cedar.authorize(&admin, Action::ManageChannels, Resource::ChannelAccount(&line)).is_ok());
    let err = cedar.authorize(&admin, Action::ManageChannels, Resource::ChannelAccount(&shopee)).unwrap_err();
    assert!(err.message().contains("manage_channels"), "{err}");
}
