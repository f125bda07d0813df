//! The permission table as a specification: every role × action × resource combination is
//! checked against a table written out here by hand, for the role policy and the team policy.

use std::collections::BTreeSet;

use unibox_core::policy::{
    AccountScope, AssigneeScope, ConversationScope, MemberRules, Team, TeamPolicy, TeamRules, Visibility,
    missing_permission,
};
use unibox_core::{
    Action, Actor, ChannelAccount, ChannelAccountId, ChannelKind, ContactId, Conversation, ConversationId,
    ConversationStatus, ErrorKind, Policy, Resource, Role, RolePolicy, TenantId, Timestamp, UserId,
};

/// The role table, one row per action: Admin, Agent, Viewer, Automation ('x' = allowed).
const TABLE: &str = "
read_conversations     x x x x
send_message           x x . x
add_note               x x . x
assign_conversation    x x . x
update_conversation    x x . x
manage_channels        x . . .
export_data            x . . .
edit_contacts          x x . .
manage_canned_replies  x . . .
view_analytics         x x x .
view_audit_log         x . . .
manage_settings        x . . .
manage_members         x . . .
delete_data            x . . .
view_usage             x . . .
";

fn table() -> Vec<(Action, [bool; 4])> {
    TABLE
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let cells: Vec<&str> = line.split_whitespace().collect();
            let action: Action = cells[0].parse().unwrap();
            let allowed = [cells[1] == "x", cells[2] == "x", cells[3] == "x", cells[4] == "x"];
            (action, allowed)
        })
        .collect()
}

fn tenant() -> TenantId {
    "acme".parse().unwrap()
}

fn user(name: &str) -> UserId {
    name.parse().unwrap()
}

/// The four kinds of actor, in table column order.
fn actors(tenant: &TenantId, name: &str) -> [Actor; 4] {
    [
        Actor::user(tenant.clone(), user(name), Role::Admin),
        Actor::user(tenant.clone(), user(name), Role::Agent),
        Actor::user(tenant.clone(), user(name), Role::Viewer),
        Actor::automation(tenant.clone(), "auto-reply"),
    ]
}

fn conversation(tenant: &TenantId, account: ChannelAccountId, assignee: Option<&str>) -> Conversation {
    Conversation {
        id: ConversationId::new(),
        tenant: tenant.clone(),
        account,
        contact: ContactId::new(),
        status: ConversationStatus::Open,
        snoozed_until: None,
        assignee: assignee.map(user),
        tags: Vec::new(),
        unread_count: 0,
        last_inbound_at: None,
        last_activity_at: Timestamp::from_unix_seconds(1_732_170_000),
        created_at: Timestamp::from_unix_seconds(1_732_170_000),
    }
}

fn account(tenant: &TenantId, kind: ChannelKind) -> ChannelAccount {
    ChannelAccount::new(tenant.clone(), "acme-ch".parse().unwrap(), kind, "U123", Timestamp::UNIX_EPOCH)
}

#[test]
fn the_table_lists_every_action_once() {
    let listed: Vec<Action> = table().into_iter().map(|(action, _)| action).collect();
    assert_eq!(listed, Action::ALL.to_vec());
}

#[test]
fn role_policy_matches_the_table_on_every_resource_of_the_own_tenant() {
    let tenant = tenant();
    let line = account(&tenant, ChannelKind::LINE);
    let conversations = [
        conversation(&tenant, line.id, None),
        conversation(&tenant, line.id, Some("ann")),
        conversation(&tenant, line.id, Some("bob")),
    ];
    let mut resources = vec![Resource::Tenant, Resource::ChannelAccount(&line)];
    resources.extend(conversations.iter().map(Resource::Conversation));
    let mut checked = 0;
    for (action, allowed) in table() {
        for (column, actor) in actors(&tenant, "ann").iter().enumerate() {
            for resource in &resources {
                let decision = RolePolicy.authorize(actor, action, *resource);
                assert_eq!(decision.is_ok(), allowed[column], "{actor} {action} {}", resource.kind());
                if let Err(err) = decision {
                    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
                    assert_eq!(missing_permission(&err), Some(action));
                    assert!(err.message().contains(action.as_str()), "{err}");
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 15 * 4 * 5);
}

#[test]
fn every_policy_refuses_every_action_on_another_tenants_resources() {
    let other: TenantId = "globex".parse().unwrap();
    let foreign_account = account(&other, ChannelKind::LINE);
    let foreign_conversation = conversation(&other, foreign_account.id, None);
    let team = TeamPolicy::new();
    for action in Action::ALL {
        for actor in actors(&tenant(), "ann") {
            for resource in [Resource::ChannelAccount(&foreign_account), Resource::Conversation(&foreign_conversation)]
            {
                for policy in [&RolePolicy as &dyn Policy, &team as &dyn Policy] {
                    let err = policy.authorize(&actor, action, resource).unwrap_err();
                    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{policy:?} {actor} {action}");
                    assert_eq!(missing_permission(&err), Some(action));
                }
            }
        }
    }
}

/// The restrictions of the team-policy fixture, and what each one must decide.
struct Fixture {
    tenant: TenantId,
    line: ChannelAccount,
    shopee: ChannelAccount,
    whatsapp: ChannelAccount,
    policy: TeamPolicy,
}

fn fixture() -> Fixture {
    let tenant = tenant();
    let line = account(&tenant, ChannelKind::LINE);
    let shopee = account(&tenant, ChannelKind::SHOPEE);
    let whatsapp = account(&tenant, ChannelKind::WHATSAPP);
    let rules = TeamRules::default()
        .account(line.id, ChannelKind::LINE)
        .account(shopee.id, ChannelKind::SHOPEE)
        .account(whatsapp.id, ChannelKind::WHATSAPP)
        // "nok sees only LINE and Shopee", with the default agent visibility.
        .member(
            user("nok"),
            MemberRules::new(Role::Agent).scope(AccountScope::platforms([ChannelKind::LINE, ChannelKind::SHOPEE])),
        )
        // "pim works every conversation of the WhatsApp team".
        .member(user("pim"), MemberRules::new(Role::Agent).visibility(Visibility::AssignedOrTeam).team("whatsapp"))
        .member(user("ploy"), MemberRules::new(Role::Agent).visibility(Visibility::AssignedOrTeam).team("whatsapp"))
        .member(user("vic"), MemberRules::new(Role::Viewer).scope(AccountScope::accounts([line.id])))
        .team("whatsapp", Team { scope: AccountScope::platforms([ChannelKind::WHATSAPP]) });
    let policy = TeamPolicy::new();
    policy.set_rules(&tenant, rules);
    Fixture { tenant, line, shopee, whatsapp, policy }
}

#[test]
fn team_policy_applies_the_role_table_before_any_restriction() {
    let f = fixture();
    for (action, allowed) in table() {
        // "zed" has no rules of their own: the role table and the role defaults apply.
        for (column, actor) in actors(&f.tenant, "zed").iter().enumerate() {
            let decision = f.policy.authorize(actor, action, Resource::Tenant);
            assert_eq!(decision.is_ok(), allowed[column], "{actor} {action}");
        }
    }
}

#[test]
fn team_policy_matches_the_restriction_spec_on_every_combination() {
    let f = fixture();
    let accounts = [&f.line, &f.shopee, &f.whatsapp];
    let assignees = [None, Some("nok"), Some("pim"), Some("ploy"), Some("zed")];
    let people = ["nok", "pim", "vic", "zed"];
    let mut checked = 0;
    for name in people {
        for role in Role::ALL {
            let actor = Actor::user(f.tenant.clone(), user(name), role);
            for account in accounts {
                for assignee in assignees {
                    let conversation = conversation(&f.tenant, account.id, assignee);
                    for action in Action::ALL {
                        let expected = expected_team_decision(name, role, &account.kind, assignee, action);
                        let decision = f.policy.authorize(&actor, action, Resource::Conversation(&conversation));
                        assert_eq!(
                            decision.is_ok(),
                            expected,
                            "{actor} {action} on a {} conversation assigned to {assignee:?}: {decision:?}",
                            account.kind
                        );
                        if let Err(err) = decision {
                            assert_eq!(missing_permission(&err), Some(action));
                        }
                        checked += 1;
                    }
                }
            }
        }
    }
    assert_eq!(checked, 4 * 3 * 3 * 5 * 15);
}

/// The restriction spec, written independently of the implementation.
fn expected_team_decision(name: &str, role: Role, kind: &ChannelKind, assignee: Option<&str>, action: Action) -> bool {
    let (_, allowed) = table().into_iter().find(|(a, _)| *a == action).unwrap();
    let column = match role {
        Role::Admin => 0,
        Role::Agent => 1,
        Role::Viewer => 2,
    };
    if !allowed[column] {
        return false;
    }
    // Members with a recorded role are refused under any other role.
    let recorded = match name {
        "nok" | "pim" => Some(Role::Agent),
        "vic" => Some(Role::Viewer),
        _ => None,
    };
    if recorded.is_some_and(|recorded| recorded != role) {
        return false;
    }
    let conversation_work = matches!(
        action,
        Action::ReadConversations
            | Action::SendMessage
            | Action::AddNote
            | Action::AssignConversation
            | Action::UpdateConversation
    );
    if !conversation_work {
        return true;
    }
    let reaches = match name {
        "nok" => *kind == ChannelKind::LINE || *kind == ChannelKind::SHOPEE,
        "pim" => *kind == ChannelKind::WHATSAPP,
        "vic" => *kind == ChannelKind::LINE,
        _ => true,
    };
    if !reaches {
        return false;
    }
    let visibility = match (name, role) {
        ("pim", _) => Visibility::AssignedOrTeam,
        (_, Role::Agent) => Visibility::AssignedOrUnassigned,
        _ => Visibility::All,
    };
    match visibility {
        Visibility::All => true,
        Visibility::AssignedOrUnassigned => assignee.is_none() || assignee == Some(name),
        Visibility::AssignedOrTeam => assignee.is_none() || assignee == Some(name) || assignee == Some("ploy"),
        Visibility::AssignedOnly => assignee == Some(name),
    }
}

#[test]
fn channel_account_restrictions_apply_to_account_resources() {
    let f = fixture();
    let nok = Actor::user(f.tenant.clone(), user("nok"), Role::Agent);
    assert!(f.policy.authorize(&nok, Action::ReadConversations, Resource::ChannelAccount(&f.line)).is_ok());
    let err = f.policy.authorize(&nok, Action::ReadConversations, Resource::ChannelAccount(&f.whatsapp)).unwrap_err();
    assert!(err.message().contains("read_conversations"), "{err}");
    assert!(err.message().contains("channel account"), "{err}");
}

#[test]
fn a_platform_restriction_fails_closed_on_an_account_of_unknown_platform() {
    let f = fixture();
    let unknown = ChannelAccountId::new();
    let nok = Actor::user(f.tenant.clone(), user("nok"), Role::Agent);
    let zed = Actor::user(f.tenant.clone(), user("zed"), Role::Agent);
    let conversation = conversation(&f.tenant, unknown, None);
    assert!(f.policy.authorize(&nok, Action::ReadConversations, Resource::Conversation(&conversation)).is_err());
    assert!(f.policy.authorize(&zed, Action::ReadConversations, Resource::Conversation(&conversation)).is_ok());
}

#[test]
fn members_only_refuses_users_without_rules_and_removal_takes_effect_at_once() {
    let f = fixture();
    let mut rules = f.policy.rules(&f.tenant);
    rules.members_only = true;
    f.policy.set_rules(&f.tenant, rules);
    let zed = Actor::user(f.tenant.clone(), user("zed"), Role::Admin);
    let err = f.policy.authorize(&zed, Action::ReadConversations, Resource::Tenant).unwrap_err();
    assert!(err.message().contains("not a member"), "{err}");
    let nok = Actor::user(f.tenant.clone(), user("nok"), Role::Agent);
    assert!(f.policy.authorize(&nok, Action::ReadConversations, Resource::Tenant).is_ok());
    assert!(f.policy.remove_member(&f.tenant, &user("nok")));
    assert!(f.policy.authorize(&nok, Action::ReadConversations, Resource::Tenant).is_err());
    assert_eq!(f.policy.conversation_scope(&nok), ConversationScope::nothing());
}

#[test]
fn a_role_change_refuses_actors_that_still_claim_the_old_role() {
    let f = fixture();
    let nok_as_agent = Actor::user(f.tenant.clone(), user("nok"), Role::Agent);
    f.policy.set_member(&f.tenant, user("nok"), MemberRules::new(Role::Viewer));
    let err = f.policy.authorize(&nok_as_agent, Action::ReadConversations, Resource::Tenant).unwrap_err();
    assert!(err.message().contains("role changed"), "{err}");
}

#[test]
fn conversation_scope_agrees_with_authorize() {
    let f = fixture();
    let accounts = [&f.line, &f.shopee, &f.whatsapp];
    let assignees = [None, Some("nok"), Some("pim"), Some("ploy"), Some("zed")];
    for name in ["nok", "pim", "vic", "zed"] {
        for role in Role::ALL {
            let actor = Actor::user(f.tenant.clone(), user(name), role);
            let scope = f.policy.conversation_scope(&actor);
            for account in accounts {
                for assignee in assignees {
                    let conversation = conversation(&f.tenant, account.id, assignee);
                    let allowed =
                        f.policy.authorize(&actor, Action::ReadConversations, Resource::Conversation(&conversation));
                    assert_eq!(scope.contains(&conversation), allowed.is_ok(), "{actor} {scope:?} {conversation:?}");
                }
            }
        }
    }
    let pim = Actor::user(f.tenant.clone(), user("pim"), Role::Agent);
    let scope = f.policy.conversation_scope(&pim);
    assert_eq!(scope.accounts, Some(BTreeSet::from([f.whatsapp.id])));
    assert_eq!(
        scope.assignees,
        AssigneeScope::Users { users: BTreeSet::from([user("pim"), user("ploy")]), unassigned: true }
    );
}

#[test]
fn rules_are_plain_json() {
    let json = r#"{
        "defaults": {"agent": "all"},
        "members": {"nok": {"role": "agent", "scope": {"platforms": ["line", "shopee"]}, "visibility": "assigned_or_unassigned"}},
        "teams": {"whatsapp": {"scope": {"platforms": ["whatsapp"]}}}
    }"#;
    let rules: TeamRules = serde_json::from_str(json).unwrap();
    assert_eq!(rules.defaults.agent, Visibility::All);
    assert_eq!(rules.defaults.viewer, Visibility::All);
    let nok = &rules.members[&user("nok")];
    assert_eq!(nok.role, Some(Role::Agent));
    assert_eq!(nok.scope.platforms.as_ref().unwrap().len(), 2);
    assert!(serde_json::from_str::<TeamRules>(r#"{"members": {"bad name": {}}}"#).is_err());
}
