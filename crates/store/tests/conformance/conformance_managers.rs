//! Conformance of `users.manager_id` on both backends: written by both user inserts and by
//! `update_account`, read back by every user read (directory, account, listing).

#![allow(clippy::unwrap_used)]

use servicedesk_core::ports::{AccountStore, Directory, WriteSet};
use servicedesk_store::Store;

use crate::common::*;

conformance!(manager_id_is_written_and_read_by_every_user_path);

fn manager_id_is_written_and_read_by_every_user_path(store: &Store) {
    let fx = org_fixture(store, "Managers");
    let mut report = user(fx.org, "report", &["requester"], &[]);
    report.manager_id = Some(fx.admin);
    assert_eq!(store.create_user(&report).unwrap(), report);
    assert_eq!(
        Directory::user(store, fx.org, report.id)
            .unwrap()
            .manager_id,
        Some(fx.admin)
    );
    // Unset on the fixture's users.
    assert_eq!(
        Directory::user(store, fx.org, fx.agent).unwrap().manager_id,
        None
    );

    let mut account = store.account(fx.org, fx.agent).unwrap();
    assert_eq!(account.user.manager_id, None);
    let version = account.version;
    account.user.manager_id = Some(fx.agent2);
    let updated = store
        .update_account(&account, version, &WriteSet::default())
        .unwrap();
    assert_eq!(updated.user.manager_id, Some(fx.agent2));
    assert_eq!(
        store.account(fx.org, fx.agent).unwrap().user.manager_id,
        Some(fx.agent2)
    );
    let listed = store.list_users(fx.org, None, 100).unwrap();
    let agent = listed.iter().find(|u| u.id == fx.agent).unwrap();
    assert_eq!(agent.manager_id, Some(fx.agent2));
    let found = store.find_by_email(&agent.email).unwrap();
    assert_eq!(found.user.manager_id, Some(fx.agent2));

    // Cleared again.
    let mut account = updated;
    let version = account.version;
    account.user.manager_id = None;
    store
        .update_account(&account, version, &WriteSet::default())
        .unwrap();
    assert_eq!(
        Directory::user(store, fx.org, fx.agent).unwrap().manager_id,
        None
    );
}
