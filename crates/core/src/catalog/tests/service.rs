//! The catalog use cases over an in-memory store and mockall directory and SLA catalog:
//! permissions per built-in role, audience visibility, reference checks naming their
//! paths, versions, conflicts and audit records.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use uuid::Uuid;

use super::*;
use crate::actor::Actor;
use crate::approvals::{ApprovalPolicy, ApproverRule, DecisionRule, StageDef, TimeoutAction};
use crate::error::Error;
use crate::ids::{CatalogCategoryId, CatalogItemId, OrgId, SlaPolicyId, TeamId};
use crate::ports::{FixedClock, MockDirectory, MockSlaCatalog, StoreError, WriteSet};
use crate::usecases::tests::fixture::{
    AGENT, MANAGER, ORG, REQ, SeqIds, T1, T2, admin, agent, manager, policies, requester, t0, team,
    user,
};

const CAT: CatalogCategoryId = CatalogCategoryId(Uuid::from_u128(0x50));
const GHOST_USER: UserId = UserId(Uuid::from_u128(0x5F));
const GONE_USER: UserId = UserId(Uuid::from_u128(0x5E));
const GHOST_TEAM: TeamId = TeamId(Uuid::from_u128(0x5D));

/// An in-memory `CatalogStore` with the contract's version rules, recording every write.
#[derive(Default)]
struct MemStore {
    categories: Mutex<Vec<CatalogCategory>>,
    items: Mutex<BTreeMap<CatalogItemId, Vec<CatalogItem>>>,
    writes: Mutex<Vec<WriteSet>>,
}

impl CatalogStore for MemStore {
    fn create_category(
        &self,
        org: OrgId,
        c: &CatalogCategory,
        write: &WriteSet,
    ) -> Result<CatalogCategory, StoreError> {
        let mut cats = self.categories.lock().unwrap();
        if cats.iter().any(|x| x.org_id == org && x.name == c.name) {
            return Err(StoreError::Duplicate { field: "name" });
        }
        cats.push(c.clone());
        self.writes.lock().unwrap().push(write.clone());
        Ok(c.clone())
    }

    fn categories(&self, org: OrgId) -> Result<Vec<CatalogCategory>, StoreError> {
        let cats = self.categories.lock().unwrap();
        Ok(cats.iter().filter(|c| c.org_id == org).cloned().collect())
    }

    fn create_item(
        &self,
        _org: OrgId,
        item: &CatalogItem,
        write: &WriteSet,
    ) -> Result<CatalogItem, StoreError> {
        let stored = CatalogItem {
            version: 1,
            ..item.clone()
        };
        self.items
            .lock()
            .unwrap()
            .insert(item.id, vec![stored.clone()]);
        self.writes.lock().unwrap().push(write.clone());
        Ok(stored)
    }

    fn update_item(
        &self,
        org: OrgId,
        item: &CatalogItem,
        expected_version: i64,
        write: &WriteSet,
    ) -> Result<CatalogItem, StoreError> {
        let mut items = self.items.lock().unwrap();
        let versions = items
            .get_mut(&item.id)
            .filter(|v| v.iter().all(|i| i.org_id == org))
            .ok_or(StoreError::NotFound("catalog item"))?;
        let current = versions.last().map_or(0, |i| i.version);
        if current != expected_version {
            return Err(StoreError::Conflict {
                entity: "catalog item",
                current,
            });
        }
        let stored = CatalogItem {
            version: current + 1,
            ..item.clone()
        };
        versions.push(stored.clone());
        self.writes.lock().unwrap().push(write.clone());
        Ok(stored)
    }

    fn item(&self, org: OrgId, id: CatalogItemId) -> Result<CatalogItem, StoreError> {
        let items = self.items.lock().unwrap();
        items
            .get(&id)
            .and_then(|v| v.last())
            .filter(|i| i.org_id == org)
            .cloned()
            .ok_or(StoreError::NotFound("catalog item"))
    }

    fn item_version(
        &self,
        org: OrgId,
        id: CatalogItemId,
        version: i64,
    ) -> Result<CatalogItem, StoreError> {
        let items = self.items.lock().unwrap();
        items
            .get(&id)
            .and_then(|v| v.iter().find(|i| i.version == version))
            .filter(|i| i.org_id == org)
            .cloned()
            .ok_or(StoreError::NotFound("catalog item"))
    }

    fn items(&self, org: OrgId) -> Result<Vec<CatalogItem>, StoreError> {
        let items = self.items.lock().unwrap();
        let mut all: Vec<CatalogItem> = items
            .values()
            .filter_map(|v| v.last())
            .filter(|i| i.org_id == org)
            .cloned()
            .collect();
        all.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(all)
    }
}

struct Fx {
    store: Arc<MemStore>,
    catalog: Catalog,
}

/// A directory of the fixture's users (`GONE_USER` deactivated) and teams T1, T2; the
/// SLA catalog's default policies.
fn fx() -> Fx {
    let store = Arc::new(MemStore::default());
    store.categories.lock().unwrap().push(CatalogCategory {
        id: CAT,
        org_id: ORG,
        name: "Hardware".into(),
        description: String::new(),
        parent_id: None,
    });
    let mut dir = MockDirectory::new();
    dir.expect_user().returning(|org, id| {
        if org != ORG || id == GHOST_USER {
            return Err(StoreError::NotFound("user"));
        }
        let mut u = user(id, &["agent"], &[]);
        u.active = id != GONE_USER;
        Ok(u)
    });
    dir.expect_team().returning(|org, id| {
        if org == ORG && (id == T1 || id == T2) {
            Ok(team(id, None))
        } else {
            Err(StoreError::NotFound("team"))
        }
    });
    let mut sla = MockSlaCatalog::new();
    sla.expect_policies().returning(|_| Ok(policies()));
    let catalog = Catalog::new(
        store.clone(),
        Arc::new(dir),
        Arc::new(sla),
        Arc::new(FixedClock::new(t0())),
        Arc::new(SeqIds::default()),
    );
    Fx { store, catalog }
}

fn laptop_input() -> CatalogItemInput {
    serde_json::from_value(serde_json::json!({
        "category_id": CAT,
        "name": " New laptop ",
        "owner_id": MANAGER,
        "fulfilment_team_id": T1,
        "form": {"fields": [
            {"key": "model", "label": "Model", "required": true, "type": "single_select",
             "options": [{"value": "standard", "label": "Standard"},
                         {"value": "workstation", "label": "Workstation"}]},
            {"key": "justification", "label": "Why?", "required": true, "type": "long_text",
             "visible_when": {"field": "model", "op": {"equals": "workstation"}}},
            {"key": "needed_by", "label": "Needed by", "required": true, "type": "date"}
        ]},
        "approval_policy": {"stages": [
            {"name": "Manager", "approvers": ["requester_manager"], "decision": "any",
             "due_hours": 16, "on_timeout": "escalate_to_manager"},
            {"name": "IT budget", "approvers": [{"team": T2}], "decision": {"at_least": 2},
             "due_hours": 24, "on_timeout": "reject"}
        ]}
    }))
    .unwrap()
}

fn codes(err: &Error) -> Vec<(String, &'static str)> {
    match err {
        Error::Invalid(f) => f.iter().map(|e| (e.field.clone(), e.code)).collect(),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn audit_actions(store: &MemStore) -> Vec<String> {
    store
        .writes
        .lock()
        .unwrap()
        .iter()
        .flat_map(|w| w.audit.iter().map(|a| a.action.clone()))
        .collect()
}

/// A requester in team `teams` (a custom mix the built-in fixtures lack).
fn requester_in(teams: Vec<TeamId>) -> Actor {
    Actor::new(
        REQ,
        ORG,
        vec![crate::rbac::Role::builtin(
            crate::rbac::BuiltinRole::Requester,
        )],
        teams,
    )
}

#[test]
fn a_manager_creates_an_item_as_version_one_audited() {
    let fx = fx();
    let item = fx.catalog.create_item(&manager(), laptop_input()).unwrap();
    assert_eq!(item.version, 1);
    assert_eq!(item.name, "New laptop", "trimmed");
    assert_eq!(item.org_id, ORG);
    assert_eq!(item.created_at, t0());
    let writes = fx.store.writes.lock().unwrap();
    let audit = &writes[0].audit[0];
    assert_eq!(audit.action, "catalog_item.create");
    assert_eq!(audit.target_kind, "catalog_item");
    assert_eq!(audit.target_id, item.id.to_string());
    assert_eq!(audit.actor_id, Some(MANAGER));
    assert_eq!(audit.detail["version"], 1);
}

#[test]
fn who_may_edit_and_read_per_builtin_role() {
    // (actor, may create/update, may read)
    let cases: [(Actor, bool, bool); 4] = [
        (admin(), true, true),
        (manager(), true, true),
        (agent(), false, true),
        (requester(), false, true),
    ];
    for (actor, edits, reads) in cases {
        let fx = fx();
        let created = fx.catalog.create_item(&actor, laptop_input());
        assert_eq!(created.is_ok(), edits, "{actor:?} create: {created:?}");
        if !edits {
            assert!(matches!(created, Err(Error::Forbidden { .. })));
        }
        let cat = fx.catalog.create_category(
            &actor,
            CategoryInput {
                name: "Software".into(),
                description: String::new(),
                parent_id: None,
            },
        );
        assert_eq!(cat.is_ok(), edits, "{actor:?} category: {cat:?}");
        assert_eq!(fx.catalog.categories(&actor).is_ok(), reads);
        assert_eq!(fx.catalog.items(&actor).is_ok(), reads);
        assert_eq!(edits_catalog(&actor), edits);
        let item = fx.catalog.create_item(&admin(), laptop_input()).unwrap();
        let updated = fx.catalog.update_item(&actor, item.id, Some(1), {
            let mut i = laptop_input();
            i.name = "Laptop".into();
            i
        });
        assert_eq!(updated.is_ok(), edits, "{actor:?} update: {updated:?}");
    }
    // A role without catalog_item:read reads nothing.
    let fx = fx();
    let reader = crate::usecases::tests::fixture::reader();
    assert!(matches!(
        fx.catalog.items(&reader),
        Err(Error::Forbidden { .. })
    ));
    assert!(matches!(
        fx.catalog.categories(&reader),
        Err(Error::Forbidden { .. })
    ));
}

#[test]
fn requesters_see_only_active_items_their_audience_admits() {
    let fx = fx();
    let everyone = fx.catalog.create_item(&admin(), laptop_input()).unwrap();
    let mut team_only = laptop_input();
    team_only.name = "Team thing".into();
    team_only.audience = Audience::teams(vec![T1]);
    let team_only = fx.catalog.create_item(&admin(), team_only).unwrap();
    let mut agents_only = laptop_input();
    agents_only.name = "Agent thing".into();
    agents_only.audience = Audience::roles(["agent"]);
    let agents_only = fx.catalog.create_item(&admin(), agents_only).unwrap();
    let mut retired = laptop_input();
    retired.name = "Retired".into();
    retired.active = false;
    let retired = fx.catalog.create_item(&admin(), retired).unwrap();

    let names = |actor: &Actor| -> Vec<String> {
        fx.catalog
            .items(actor)
            .unwrap()
            .into_iter()
            .map(|i| i.name)
            .collect()
    };
    assert_eq!(names(&requester()), vec!["New laptop"]);
    assert_eq!(
        names(&requester_in(vec![T1])),
        vec!["New laptop", "Team thing"]
    );
    // The agent fixture is in T1 and holds the agent role.
    assert_eq!(
        names(&agent()),
        vec!["Agent thing", "New laptop", "Team thing"]
    );
    assert_eq!(
        names(&manager()),
        vec!["Agent thing", "New laptop", "Retired", "Team thing"]
    );
    // One item, one version: the same rule, anything else is NotFound.
    let cases = [
        (everyone.id, true),
        (team_only.id, false),
        (agents_only.id, false),
        (retired.id, false),
    ];
    for (id, seen) in cases {
        let got = fx.catalog.item(&requester(), id);
        assert_eq!(got.is_ok(), seen, "{id}: {got:?}");
        let v1 = fx.catalog.item_version(&requester(), id, 1);
        assert_eq!(v1.is_ok(), seen, "{id} v1: {v1:?}");
        if !seen {
            assert_eq!(
                got.unwrap_err(),
                Error::NotFound {
                    entity: "catalog item"
                }
            );
        }
        assert!(fx.catalog.item(&manager(), id).is_ok());
    }
    let _ = AGENT;
}

#[test]
fn every_bad_reference_is_a_field_error_naming_its_path() {
    let fx = fx();
    let mut input = laptop_input();
    input.category_id = CatalogCategoryId(Uuid::from_u128(0x99));
    input.owner_id = GONE_USER;
    input.fulfilment_team_id = Some(GHOST_TEAM);
    input.fulfilment_sla_policy_id = Some(SlaPolicyId(Uuid::from_u128(0x98)));
    input.audience = Audience::teams(vec![T1, GHOST_TEAM]);
    input.approval_policy = ApprovalPolicy {
        stages: vec![StageDef {
            name: "Named".into(),
            approvers: vec![
                ApproverRule::Users(vec![MANAGER, GHOST_USER, GONE_USER]),
                ApproverRule::Team(GHOST_TEAM),
            ],
            decision: DecisionRule::Any,
            due_hours: 8,
            reminder_percent: 50,
            on_timeout: TimeoutAction::Reject,
        }],
    };
    input.task_template = Some(TaskTemplate {
        mode: TaskMode::Ordered,
        tasks: vec![
            TaskTemplateEntry::new("Order"),
            TaskTemplateEntry {
                title: "Set up".into(),
                team_id: Some(GHOST_TEAM),
                assignee_id: Some(GHOST_USER),
            },
        ],
    });
    let err = fx.catalog.create_item(&manager(), input).unwrap_err();
    let mut got = codes(&err);
    got.sort();
    let mut want: Vec<(String, &'static str)> = [
        ("approval_policy.stages[0].approvers[0].users[1]", "unknown"),
        (
            "approval_policy.stages[0].approvers[0].users[2]",
            "inactive",
        ),
        ("approval_policy.stages[0].approvers[1].team", "unknown"),
        ("audience.teams[1]", "unknown"),
        ("category_id", "unknown"),
        ("fulfilment_sla_policy_id", "unknown"),
        ("fulfilment_team_id", "unknown"),
        ("owner_id", "inactive"),
        ("task_template.tasks[1].assignee_id", "unknown"),
        ("task_template.tasks[1].team_id", "unknown"),
    ]
    .into_iter()
    .map(|(f, c)| (f.to_owned(), c))
    .collect();
    want.sort();
    assert_eq!(got, want);
    assert!(fx.store.items.lock().unwrap().is_empty(), "nothing written");
    assert!(audit_actions(&fx.store).is_empty());
}

#[test]
fn the_inputs_own_rules_and_references_are_reported_together() {
    let fx = fx();
    let mut input = laptop_input();
    input.name = "  ".into();
    input.owner_id = GHOST_USER;
    let got = codes(&fx.catalog.create_item(&manager(), input).unwrap_err());
    assert!(got.contains(&("name".to_owned(), "required")), "{got:?}");
    assert!(got.contains(&("owner_id".to_owned(), "unknown")), "{got:?}");
}

#[test]
fn an_update_is_a_new_version_and_the_old_one_stays_readable() {
    let fx = fx();
    let v1 = fx.catalog.create_item(&manager(), laptop_input()).unwrap();
    let mut input = laptop_input();
    input.description = "A laptop for work.".into();
    let v2 = fx
        .catalog
        .update_item(&manager(), v1.id, Some(1), input.clone())
        .unwrap();
    assert_eq!(v2.version, 2);
    assert_eq!(v2.created_at, v1.created_at);
    assert_eq!(fx.catalog.item(&requester(), v1.id).unwrap(), v2);
    assert_eq!(fx.catalog.item_version(&requester(), v1.id, 1).unwrap(), v1);
    assert_eq!(fx.catalog.item_version(&requester(), v1.id, 2).unwrap(), v2);
    assert!(matches!(
        fx.catalog.item_version(&requester(), v1.id, 3),
        Err(Error::NotFound { .. })
    ));
    // A stale version is a conflict naming the current one, and writes nothing.
    assert_eq!(
        fx.catalog
            .update_item(&manager(), v1.id, Some(1), laptop_input())
            .unwrap_err(),
        Error::Conflict {
            entity: "catalog item",
            current: 2
        }
    );
    // Without a version the one read is the precondition.
    let v3 = fx
        .catalog
        .update_item(&manager(), v1.id, None, laptop_input())
        .unwrap();
    assert_eq!(v3.version, 3);
    // The same input again changes nothing: no version, no audit record.
    let same = fx
        .catalog
        .update_item(&manager(), v1.id, Some(3), laptop_input())
        .unwrap();
    assert_eq!(same, v3);
    assert_eq!(
        audit_actions(&fx.store),
        vec![
            "catalog_item.create",
            "catalog_item.update",
            "catalog_item.update"
        ]
    );
    let writes = fx.store.writes.lock().unwrap();
    assert_eq!(
        writes[1].audit[0].detail["changed"],
        serde_json::json!(["description"])
    );
    drop(writes);
    // An unknown item, or one of another organization, is not found.
    assert!(matches!(
        fx.catalog.update_item(
            &manager(),
            CatalogItemId(Uuid::from_u128(0x77)),
            None,
            laptop_input()
        ),
        Err(Error::NotFound { .. })
    ));
    let other_org = Actor::new(
        MANAGER,
        OrgId(Uuid::from_u128(0xB)),
        vec![crate::rbac::Role::builtin(
            crate::rbac::BuiltinRole::Manager,
        )],
        vec![],
    );
    assert!(matches!(
        fx.catalog.item(&other_org, v1.id),
        Err(Error::NotFound { .. })
    ));
}

#[test]
fn categories_are_checked_unique_and_audited() {
    let fx = fx();
    let input = |name: &str, parent| CategoryInput {
        name: name.into(),
        description: String::new(),
        parent_id: parent,
    };
    let laptops = fx
        .catalog
        .create_category(&manager(), input(" Laptops ", Some(CAT)))
        .unwrap();
    assert_eq!(laptops.name, "Laptops");
    assert_eq!(laptops.parent_id, Some(CAT));
    assert_eq!(
        codes(
            &fx.catalog
                .create_category(&manager(), input("Laptops", None))
                .unwrap_err()
        ),
        vec![("name".to_owned(), "taken")]
    );
    assert_eq!(
        codes(
            &fx.catalog
                .create_category(
                    &manager(),
                    input("", Some(CatalogCategoryId(Uuid::from_u128(0x99))))
                )
                .unwrap_err()
        ),
        vec![
            ("name".to_owned(), "required"),
            ("parent_id".to_owned(), "unknown")
        ]
    );
    assert_eq!(audit_actions(&fx.store), vec!["catalog_category.create"]);
    let names: Vec<String> = fx
        .catalog
        .categories(&requester())
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(names.len(), 2);
}
