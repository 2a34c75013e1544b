//! Conformance of `CatalogStore` on both backends: categories unique by name per
//! organization, items stored as version 1 and every later version kept readable, a stale
//! update refused with the current version, tenancy (another organization's item and
//! category are not found), and the audit record committed with the write or not at all.

#![allow(clippy::unwrap_used)]

use chrono::TimeDelta;
use serde_json::json;
use servicedesk_core::approvals::{
    ApprovalPolicy, ApproverRule, DecisionRule, StageDef, TimeoutAction,
};
use servicedesk_core::catalog::{
    Audience, CatalogCategory, CatalogItem, CatalogStore, FormDefinition,
};
use servicedesk_core::events::AuditRecord;
use servicedesk_core::ids::{CatalogCategoryId, OrgId};
use servicedesk_core::ports::{AuditCheck, AuditLog, StoreError, WriteSet};
use servicedesk_store::Store;

use crate::common::*;

conformance!(
    categories_are_unique_by_name_per_organization,
    items_keep_every_version,
    a_stale_update_is_a_conflict_and_changes_nothing,
    another_organizations_catalog_is_not_found,
    audit_rows_commit_and_roll_back_with_the_write,
);

fn audited(org: OrgId, action: &str, target: String) -> WriteSet {
    WriteSet {
        audit: vec![AuditRecord {
            org_id: org,
            actor_id: None,
            action: action.to_owned(),
            target_kind: action.split('.').next().unwrap().to_owned(),
            target_id: target,
            at: t0(),
            detail: json!({ "test": true }),
        }],
        ..WriteSet::default()
    }
}

fn audit_actions(store: &Store, org: OrgId) -> Vec<String> {
    store
        .entries(org, 0, 1000)
        .unwrap()
        .into_iter()
        .map(|e| e.record.action)
        .collect()
}

fn category(org: OrgId, name: &str, parent: Option<CatalogCategoryId>) -> CatalogCategory {
    CatalogCategory {
        id: new_id(),
        org_id: org,
        name: name.to_owned(),
        description: format!("all things {name}"),
        parent_id: parent,
    }
}

fn create_category(store: &Store, c: &CatalogCategory) -> CatalogCategory {
    store
        .create_category(
            c.org_id,
            c,
            &audited(c.org_id, "catalog_category.create", c.id.to_string()),
        )
        .unwrap()
}

/// "New laptop" with a form, a restricted audience and a two-stage approval policy, so a
/// round trip proves the nested parts survive.
fn laptop(fx: &Fx, category: CatalogCategoryId) -> CatalogItem {
    let form: FormDefinition = serde_json::from_value(json!({"fields": [
        {"key": "model", "label": "Model", "required": true, "type": "single_select",
         "options": [{"value": "standard", "label": "Standard"},
                     {"value": "workstation", "label": "Workstation"}]},
        {"key": "justification", "label": "Why?", "required": true, "type": "long_text",
         "visible_when": {"field": "model", "op": {"equals": "workstation"}}},
        {"key": "needed_by", "label": "Needed by", "required": true, "type": "date"}
    ]}))
    .unwrap();
    CatalogItem {
        id: new_id(),
        org_id: fx.org,
        category_id: category,
        name: "New laptop".to_owned(),
        description: "A laptop".to_owned(),
        version: 1,
        form,
        audience: Audience::teams(vec![fx.team]),
        owner_id: fx.admin,
        fulfilment_team_id: Some(fx.team),
        task_template: None,
        fulfilment_sla_policy_id: Some(fx.policy),
        approval_policy: ApprovalPolicy {
            stages: vec![
                StageDef {
                    name: "Manager".to_owned(),
                    approvers: vec![ApproverRule::RequesterManager],
                    decision: DecisionRule::Any,
                    due_hours: 16,
                    reminder_percent: 50,
                    on_timeout: TimeoutAction::EscalateToManager,
                },
                StageDef {
                    name: "IT budget".to_owned(),
                    approvers: vec![ApproverRule::Team(fx.team2)],
                    decision: DecisionRule::AtLeast(2),
                    due_hours: 24,
                    reminder_percent: 50,
                    on_timeout: TimeoutAction::Reject,
                },
            ],
        },
        active: true,
        created_at: t0(),
        updated_at: t0(),
    }
}

fn create_item(store: &Store, item: &CatalogItem) -> CatalogItem {
    store
        .create_item(
            item.org_id,
            item,
            &audited(item.org_id, "catalog_item.create", item.id.to_string()),
        )
        .unwrap()
}

fn categories_are_unique_by_name_per_organization(store: &Store) {
    let a = org_fixture(store, "A");
    let b = org_fixture(store, "B");
    let hardware = category(a.org, "Hardware", None);
    assert_eq!(create_category(store, &hardware), hardware);
    let laptops = category(a.org, "Laptops", Some(hardware.id));
    assert_eq!(create_category(store, &laptops), laptops);
    match store.create_category(
        a.org,
        &category(a.org, "Hardware", None),
        &audited(a.org, "catalog_category.create", "x".into()),
    ) {
        Err(StoreError::Duplicate { field: "name" }) => {}
        other => panic!("second category named Hardware: expected Duplicate, got {other:?}"),
    }
    // A parent of another organization (or none at all) is not found.
    match store.create_category(
        b.org,
        &category(b.org, "Phones", Some(hardware.id)),
        &WriteSet::default(),
    ) {
        Err(StoreError::NotFound(_)) => {}
        other => panic!("parent of another org: expected NotFound, got {other:?}"),
    }
    // Another organization may use the name.
    let b_hardware = category(b.org, "Hardware", None);
    create_category(store, &b_hardware);
    assert_eq!(store.categories(a.org).unwrap(), vec![hardware, laptops]);
    assert_eq!(store.categories(b.org).unwrap(), vec![b_hardware]);
    assert_eq!(
        audit_actions(store, a.org),
        vec!["catalog_category.create", "catalog_category.create"],
        "the refused duplicate left no audit row"
    );
}

fn items_keep_every_version(store: &Store) {
    let fx = org_fixture(store, "A");
    let hardware = create_category(store, &category(fx.org, "Hardware", None));
    let software = create_category(store, &category(fx.org, "Software", None));
    // Whatever version the caller names, a new item is version 1.
    let mut item = laptop(&fx, hardware.id);
    item.version = 7;
    let v1 = create_item(store, &item);
    assert_eq!(v1, CatalogItem { version: 1, ..item });
    assert_eq!(store.item(fx.org, v1.id).unwrap(), v1);

    let v2_in = CatalogItem {
        name: "Laptop".to_owned(),
        category_id: software.id,
        form: FormDefinition::default(),
        audience: Audience::Everyone,
        active: false,
        version: 2,
        // A caller's creation time is ignored: the first one stays.
        created_at: mins(60),
        updated_at: mins(5),
        ..v1.clone()
    };
    let v2 = store
        .update_item(
            fx.org,
            &v2_in,
            1,
            &audited(fx.org, "catalog_item.update", v1.id.to_string()),
        )
        .unwrap();
    assert_eq!(
        v2,
        CatalogItem {
            created_at: t0(),
            ..v2_in.clone()
        }
    );
    let v3_in = CatalogItem {
        description: "Third".to_owned(),
        updated_at: mins(9),
        ..v2.clone()
    };
    let v3 = store
        .update_item(fx.org, &v3_in, 2, &WriteSet::default())
        .unwrap();
    assert_eq!(v3.version, 3);
    assert_eq!(store.item(fx.org, v1.id).unwrap(), v3);
    assert_eq!(store.item_version(fx.org, v1.id, 1).unwrap(), v1);
    assert_eq!(store.item_version(fx.org, v1.id, 2).unwrap(), v2);
    assert_eq!(store.item_version(fx.org, v1.id, 3).unwrap(), v3);
    for missing in [0, 4] {
        assert!(
            matches!(
                store.item_version(fx.org, v1.id, missing),
                Err(StoreError::NotFound(_))
            ),
            "version {missing}"
        );
    }
    // The list holds current versions, by name.
    let mut other = laptop(&fx, hardware.id);
    other.name = "Docking station".to_owned();
    other.updated_at = t0() + TimeDelta::minutes(1);
    let dock = create_item(store, &other);
    assert_eq!(store.items(fx.org).unwrap(), vec![dock, v3]);
    // An update to a category the organization lacks is not found and changes nothing.
    let bad = CatalogItem {
        category_id: new_id(),
        ..store.item(fx.org, v1.id).unwrap()
    };
    assert!(matches!(
        store.update_item(fx.org, &bad, 3, &WriteSet::default()),
        Err(StoreError::NotFound(_))
    ));
    let bad_new = CatalogItem {
        id: new_id(),
        category_id: new_id(),
        ..laptop(&fx, hardware.id)
    };
    assert!(matches!(
        store.create_item(fx.org, &bad_new, &WriteSet::default()),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.item(fx.org, v1.id).unwrap().version, 3);
}

fn a_stale_update_is_a_conflict_and_changes_nothing(store: &Store) {
    let fx = org_fixture(store, "A");
    let hardware = create_category(store, &category(fx.org, "Hardware", None));
    let v1 = create_item(store, &laptop(&fx, hardware.id));
    let v2 = store
        .update_item(
            fx.org,
            &CatalogItem {
                name: "Laptop v2".to_owned(),
                ..v1.clone()
            },
            1,
            &audited(fx.org, "catalog_item.update", v1.id.to_string()),
        )
        .unwrap();
    let stale = CatalogItem {
        name: "Stale".to_owned(),
        ..v1.clone()
    };
    match store.update_item(
        fx.org,
        &stale,
        1,
        &audited(fx.org, "catalog_item.update", v1.id.to_string()),
    ) {
        Err(StoreError::Conflict { current: 2, .. }) => {}
        other => panic!("stale update: expected Conflict(2), got {other:?}"),
    }
    assert_eq!(store.item(fx.org, v1.id).unwrap(), v2);
    assert!(matches!(
        store.item_version(fx.org, v1.id, 3),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(
        audit_actions(store, fx.org),
        vec![
            "catalog_category.create",
            "catalog_item.create",
            "catalog_item.update"
        ],
        "the refused update left no audit row"
    );
    // An unknown item is not found, not a conflict.
    let ghost = CatalogItem { id: new_id(), ..v1 };
    assert!(matches!(
        store.update_item(fx.org, &ghost, 1, &WriteSet::default()),
        Err(StoreError::NotFound(_))
    ));
}

fn another_organizations_catalog_is_not_found(store: &Store) {
    let a = org_fixture(store, "A");
    let b = org_fixture(store, "B");
    let hardware = create_category(store, &category(a.org, "Hardware", None));
    let item = create_item(store, &laptop(&a, hardware.id));
    assert!(matches!(
        store.item(b.org, item.id),
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        store.item_version(b.org, item.id, 1),
        Err(StoreError::NotFound(_))
    ));
    assert!(store.items(b.org).unwrap().is_empty());
    assert!(store.categories(b.org).unwrap().is_empty());
    // B cannot write A's item, nor put an item of its own under A's category.
    assert!(matches!(
        store.update_item(b.org, &item, 1, &WriteSet::default()),
        Err(StoreError::NotFound(_))
    ));
    let b_item = CatalogItem {
        id: new_id(),
        org_id: b.org,
        ..item.clone()
    };
    assert!(matches!(
        store.create_item(b.org, &b_item, &WriteSet::default()),
        Err(StoreError::NotFound(_))
    ));
    assert_eq!(store.item(a.org, item.id).unwrap(), item);
}

fn audit_rows_commit_and_roll_back_with_the_write(store: &Store) {
    let fx = org_fixture(store, "A");
    let hardware = category(fx.org, "Hardware", None);
    store.inject_fault_after_audit(true);
    let failed_category = store.create_category(
        fx.org,
        &hardware,
        &audited(fx.org, "catalog_category.create", hardware.id.to_string()),
    );
    store.inject_fault_after_audit(false);
    assert!(
        matches!(failed_category, Err(StoreError::Unavailable(_))),
        "{failed_category:?}"
    );
    assert!(store.categories(fx.org).unwrap().is_empty());
    assert!(audit_actions(store, fx.org).is_empty());

    let hardware = create_category(store, &hardware);
    let item = laptop(&fx, hardware.id);
    store.inject_fault_after_audit(true);
    let failed_item = store.create_item(
        fx.org,
        &item,
        &audited(fx.org, "catalog_item.create", item.id.to_string()),
    );
    store.inject_fault_after_audit(false);
    assert!(matches!(failed_item, Err(StoreError::Unavailable(_))));
    assert!(matches!(
        store.item(fx.org, item.id),
        Err(StoreError::NotFound(_))
    ));
    assert!(store.items(fx.org).unwrap().is_empty());

    let v1 = create_item(store, &item);
    store.inject_fault_after_audit(true);
    let failed_update = store.update_item(
        fx.org,
        &CatalogItem {
            name: "Renamed".to_owned(),
            ..v1.clone()
        },
        1,
        &audited(fx.org, "catalog_item.update", v1.id.to_string()),
    );
    store.inject_fault_after_audit(false);
    assert!(matches!(failed_update, Err(StoreError::Unavailable(_))));
    assert_eq!(store.item(fx.org, v1.id).unwrap(), v1, "no new version");
    assert!(matches!(
        store.item_version(fx.org, v1.id, 2),
        Err(StoreError::NotFound(_))
    ));

    assert_eq!(
        audit_actions(store, fx.org),
        vec!["catalog_category.create", "catalog_item.create"],
        "only the committed writes are audited"
    );
    assert_eq!(
        store.verify(fx.org).unwrap(),
        AuditCheck::Intact { entries: 2 }
    );
}
