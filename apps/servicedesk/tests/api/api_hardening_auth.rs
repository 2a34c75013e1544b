//! Issue 9, account security (points 4, 5, 3, 10, 11): sign-in throttling that cannot lock
//! an owner out, client addresses from trusted proxies only, counters shared by every
//! server process, the failed sign-in list; black-box on SQLite and PostgreSQL.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use servicedesk_core::ports::{Clock, SystemClock};
use servicedesk_http::extract::TrustedProxies;

use crate::common::*;

api_tests!(
    ten_wrong_passwords_from_one_client_do_not_lock_the_owner_out_of_another,
    forwarded_headers_from_an_untrusted_peer_are_ignored,
    two_servers_share_the_attempt_counters,
    admins_list_the_failed_sign_ins_of_their_organization_only,
    registration_is_throttled_per_client_and_per_address,
    registering_a_taken_address_mails_its_owner_instead,
    an_organization_can_switch_registration_off,
    unverified_accounts_are_purged_once_their_link_expired,
    mfa_changes_need_the_password_are_audited_and_mailed,
    mfa_changes_are_throttled_like_sign_in,
    an_admin_resets_a_users_mfa_and_signs_them_out,
    a_refused_new_password_leaves_the_reset_link_usable,
    reset_requests_answer_alike_and_change_no_account,
    two_concurrent_refreshes_both_succeed_with_the_same_new_token,
    a_refresh_token_reused_after_the_grace_revokes_the_session,
    sessions_end_thirty_days_after_sign_in_however_often_refreshed,
);

/// The system clock moved forward by an adjustable amount.
#[derive(Default)]
struct ShiftClock {
    offset_secs: AtomicI64,
}

impl ShiftClock {
    fn advance_secs(&self, secs: u64) {
        self.offset_secs
            .fetch_add(i64::try_from(secs).unwrap(), Ordering::SeqCst);
    }
}

impl Clock for ShiftClock {
    fn now(&self) -> DateTime<Utc> {
        SystemClock.now() + TimeDelta::seconds(self.offset_secs.load(Ordering::SeqCst))
    }
}

fn app_with(backend: Backend, clock: &Arc<ShiftClock>, trusted: &str) -> TestApp {
    TestApp::with(
        backend,
        Options {
            clock: Some(clock.clone() as Arc<dyn Clock>),
            trusted_proxies: TrustedProxies::parse(trusted).unwrap(),
            ..Options::default()
        },
    )
    .unwrap()
}

/// `POST /auth/login` as if from `client` (an `X-Forwarded-For` hop).
fn login_from(app: &TestApp, client: &str, email: &str, password: &str) -> Resp {
    app.request("POST", &api("/auth/login"))
        .header("x-forwarded-for", client)
        .json(&json!({ "email": email, "password": password }))
        .send()
}

fn retry_after(r: &Resp) -> u64 {
    r.problem(429);
    r.header("retry-after")
        .expect("429 without Retry-After")
        .parse()
        .unwrap()
}

/// Sends `n` wrong passwords that get counted (401), waiting out (on the shifted clock)
/// the per-account delays on the way, which never exceed 30 s.
fn wrong_passwords(clock: &ShiftClock, n: usize, mut send: impl FnMut(usize) -> Resp) {
    let mut counted = 0;
    let mut tries = 0;
    while counted < n {
        tries += 1;
        assert!(tries < 100, "the wrong passwords were never counted");
        let r = send(counted);
        match r.status {
            401 => counted += 1,
            429 => {
                let secs = retry_after(&r);
                assert!(
                    secs <= 30,
                    "a per-account delay of {secs} s after {counted}"
                );
                clock.advance_secs(secs);
            }
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
}

fn ten_wrong_passwords_from_one_client_do_not_lock_the_owner_out_of_another(backend: Backend) {
    let clock = Arc::new(ShiftClock::default());
    // The test client is the proxy: its X-Forwarded-For names the client.
    let app = app_with(backend, &clock, "127.0.0.1/32, ::1");
    wrong_passwords(&clock, 10, |_| {
        login_from(&app, "203.0.113.7", ADMIN_EMAIL, "not the password")
    });
    // Client A is held for a long while, even with the right password.
    let held = retry_after(&login_from(
        &app,
        "203.0.113.7",
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
    ));
    assert!(held > 30, "the (account, client) counter holds A: {held} s");
    // The owner, from client B, waits at most 30 s and gets in.
    let mut r = login_from(&app, "198.51.100.20", ADMIN_EMAIL, ADMIN_PASSWORD);
    if r.status == 429 {
        let secs = retry_after(&r);
        assert!(secs <= 30, "the owner elsewhere waits {secs} s");
        clock.advance_secs(secs);
        r = login_from(&app, "198.51.100.20", ADMIN_EMAIL, ADMIN_PASSWORD);
    }
    r.status_is(200);
    Session::from_tokens(&r);
    // A is still held (the owner's success does not release the attacker's client).
    login_from(&app, "203.0.113.7", ADMIN_EMAIL, ADMIN_PASSWORD).problem(429);
}

fn forwarded_headers_from_an_untrusted_peer_are_ignored(backend: Backend) {
    let clock = Arc::new(ShiftClock::default());
    let app = app_with(backend, &clock, "");
    // Every guess claims a fresh address; the peer is what counts.
    wrong_passwords(&clock, 10, |i| {
        login_from(&app, &format!("192.0.2.{}", i + 1), ADMIN_EMAIL, "nope")
    });
    for spoof in ["192.0.2.200", "for=192.0.2.201"] {
        let r = app
            .request("POST", &api("/auth/login"))
            .header("x-forwarded-for", spoof)
            .header("forwarded", &format!("for={spoof}"))
            .json(&json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }))
            .send();
        let secs = retry_after(&r);
        assert!(
            secs > 30,
            "a spoofed address does not reset the client's counter"
        );
    }
}

fn two_servers_share_the_attempt_counters(backend: Backend) {
    let clock = Arc::new(ShiftClock::default());
    let app = app_with(backend, &clock, "");
    let second =
        servicedesk::start_with_clock(app.config.clone(), clock.clone() as Arc<dyn Clock>).unwrap();
    let second_base = format!("http://{}", second.addr);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let on_second = |password: &str| -> (u16, Option<u64>) {
        let mut res = agent
            .post(format!("{second_base}/api/v1/auth/login"))
            .send_json(json!({ "email": ADMIN_EMAIL, "password": password }))
            .unwrap();
        let retry = res
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok());
        let _ = res.body_mut().read_to_string();
        (res.status().as_u16(), retry)
    };
    // Ten counted failures, alternating between the two processes.
    let mut counted = 0;
    let mut tries = 0;
    while counted < 10 {
        tries += 1;
        assert!(tries < 100);
        let (status, retry) = if counted % 2 == 0 {
            let r = app.login_raw(ADMIN_EMAIL, "wrong");
            (
                r.status,
                r.header("retry-after").and_then(|v| v.parse().ok()),
            )
        } else {
            on_second("wrong")
        };
        match status {
            401 => counted += 1,
            429 => clock.advance_secs(retry.unwrap()),
            other => panic!("unexpected {other}"),
        }
    }
    // Both processes now refuse this client for the (account, client) lockout.
    let r = app.login_raw(ADMIN_EMAIL, ADMIN_PASSWORD);
    assert!(retry_after(&r) > 30, "first server: {}", r.text);
    let (status, retry) = on_second(ADMIN_PASSWORD);
    assert_eq!(status, 429, "the second server shares the counters");
    assert!(retry.unwrap() > 30);
    second.stop();
}

fn admins_list_the_failed_sign_ins_of_their_organization_only(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let agent = app.create_user(
        &admin,
        "agent@servicedesk.test",
        "Agent",
        "agent",
        json!({}),
    );
    let r = login_from(
        &app,
        "203.0.113.9",
        "agent@servicedesk.test",
        "wrong password",
    );
    r.problem(401);
    // Unknown addresses are not listed (they belong to no organization).
    app.login_raw("ghost@servicedesk.test", "whatever")
        .problem(401);

    let r = app.get(&admin, "/auth/failed-logins");
    r.status_is(200);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", r.text);
    assert_eq!(items[0]["user_id"], agent["id"]);
    assert_eq!(items[0]["email"], "agent@servicedesk.test");
    assert_eq!(items[0]["reason"], "password");
    // The peer is not a trusted proxy: its own address is recorded.
    assert_eq!(items[0]["client"], "127.0.0.1");
    assert!(items[0]["at"].is_string());
    assert!(r.body["next_cursor"].is_null());

    // Paging.
    app.login_raw("agent@servicedesk.test", "wrong again")
        .problem(401);
    let r = app.get(&admin, "/auth/failed-logins?limit=1");
    r.status_is(200);
    assert_eq!(r.body["items"].as_array().unwrap().len(), 1);
    let cursor = r.body["next_cursor"].as_str().unwrap().to_owned();
    let r = app.get(
        &admin,
        &format!("/auth/failed-logins?limit=1&cursor={cursor}"),
    );
    r.status_is(200);
    assert_eq!(r.body["items"][0]["reason"], "password");
    app.get(&admin, "/auth/failed-logins?limit=0").problem(422);
    app.get(&admin, "/auth/failed-logins?limit=201")
        .problem(422);

    // Not for agents; not across organizations.
    let agent_session = app.login("agent@servicedesk.test", PASSWORD).access;
    app.get(&agent_session, "/auth/failed-logins").problem(403);
    let org = app.post(&admin, "/organizations", json!({ "name": "Acme" }));
    org.status_is(201);
    app.create_user(
        &admin,
        "boss@acme.test",
        "Boss",
        "admin",
        json!({ "org_id": org.body["id"] }),
    );
    let other = app.login("boss@acme.test", PASSWORD).access;
    let r = app.get(&other, "/auth/failed-logins");
    r.status_is(200);
    assert_eq!(r.body["items"], Value::Array(vec![]), "{}", r.text);
}

fn register_from(app: &TestApp, client: &str, email: &str) -> Resp {
    app.request("POST", &api("/auth/register"))
        .header("x-forwarded-for", client)
        .json(&json!({ "email": email, "name": "New Person", "password": PASSWORD }))
        .send()
}

fn registration_is_throttled_per_client_and_per_address(backend: Backend) {
    let clock = Arc::new(ShiftClock::default());
    let app = app_with(backend, &clock, "127.0.0.1/32");
    // Per address: three within the hour, whoever asks.
    for (i, client) in ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
        .iter()
        .enumerate()
    {
        let r = register_from(&app, client, "target@example.test");
        assert_eq!(r.status, 202, "registration {}: {}", i + 1, r.text);
    }
    let held = retry_after(&register_from(&app, "198.51.100.4", "target@example.test"));
    assert!(held > 0);
    // Per client: ten within the hour, whatever the address.
    for i in 0..10 {
        let r = register_from(&app, "203.0.113.50", &format!("person{i}@example.test"));
        assert_eq!(r.status, 202, "registration {}: {}", i + 1, r.text);
    }
    retry_after(&register_from(
        &app,
        "203.0.113.50",
        "person-late@example.test",
    ));
    // Another client is not affected; an hour later the first one may go on.
    register_from(&app, "203.0.113.51", "other@example.test").status_is(202);
    clock.advance_secs(3601);
    register_from(&app, "203.0.113.50", "person-late@example.test").status_is(202);
}

fn registering_a_taken_address_mails_its_owner_instead(backend: Backend) {
    let Some(app) = TestApp::start_with_mail(backend) else {
        return;
    };
    let r = app.post_anon(
        "/auth/register",
        json!({ "email": ADMIN_EMAIL, "name": "Impostor", "password": PASSWORD }),
    );
    // The same answer as a new address.
    assert_eq!(r.status, 202, "{}", r.text);
    let mails = app.mailbox().wait_for(ADMIN_EMAIL, 1);
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].subject.contains("Someone tried to register"),
        "subject: {}",
        mails[0].subject
    );
    assert!(
        !mails[0].text.contains("token="),
        "no link: {}",
        mails[0].text
    );
    // Nothing about the account changed: the owner still signs in with the old password.
    app.admin();
}

fn default_org(app: &TestApp, admin: &str) -> String {
    let r = app.get(admin, "/users/me");
    r.status_is(200);
    r.body["org_id"].as_str().unwrap().to_owned()
}

fn an_organization_can_switch_registration_off(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let org = default_org(&app, &admin);
    let r = app.patch(
        &admin,
        &format!("/organizations/{org}/settings"),
        json!({ "auto_close_days": null, "registration_closed": true }),
    );
    r.status_is(200);
    assert_eq!(r.body["registration_closed"], true);
    app.post_anon(
        "/auth/register",
        json!({ "email": "late@example.test", "name": "Late", "password": PASSWORD }),
    )
    .problem(403);
    let r = app.get(&admin, &format!("/organizations/{org}/settings"));
    assert_eq!(r.body["registration_closed"], true, "{}", r.text);
    // Switched back on, registration works again.
    app.patch(
        &admin,
        &format!("/organizations/{org}/settings"),
        json!({ "auto_close_days": null }),
    )
    .status_is(200);
    app.post_anon(
        "/auth/register",
        json!({ "email": "late@example.test", "name": "Late", "password": PASSWORD }),
    )
    .status_is(202);
}

fn unverified_accounts_are_purged_once_their_link_expired(backend: Backend) {
    use servicedesk_core::ports::{AccountStore, StoreError};
    let clock = Arc::new(ShiftClock::default());
    let app = app_with(backend, &clock, "");
    let store = app.running().store.clone();
    for email in ["early@example.test", "fresh@example.test"] {
        app.post_anon(
            "/auth/register",
            json!({ "email": email, "name": "Someone", "password": PASSWORD }),
        )
        .status_is(202);
        if email == "early@example.test" {
            // Past the two-day verification link.
            clock.advance_secs(2 * 86_400 + 60);
        }
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        match store.find_by_email("early@example.test") {
            Err(StoreError::NotFound(_)) => break,
            Ok(_) => {
                assert!(std::time::Instant::now() < deadline, "never purged");
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            Err(e) => panic!("{e}"),
        }
    }
    // The one still within its link's lifetime, and verified or admin-made ones, stay.
    assert!(store.find_by_email("fresh@example.test").is_ok());
    assert!(store.find_by_email(ADMIN_EMAIL).is_ok());
    // The address is free again.
    app.post_anon(
        "/auth/register",
        json!({ "email": "early@example.test", "name": "Again", "password": PASSWORD }),
    )
    .status_is(202);
    assert!(store.find_by_email("early@example.test").is_ok());
}

/// The audit actions recorded for `org` so far, in order.
fn audit_actions(app: &TestApp, org: &str) -> Vec<String> {
    use servicedesk_core::ports::AuditLog;
    let org = servicedesk_core::ids::OrgId(org.parse().unwrap());
    app.running()
        .store
        .entries(org, 0, 1000)
        .unwrap()
        .into_iter()
        .map(|e| e.record.action)
        .collect()
}

fn mfa_changes_need_the_password_are_audited_and_mailed(backend: Backend) {
    let Some(app) = TestApp::start_with_mail(backend) else {
        return;
    };
    let admin = app.admin().access;
    let org = default_org(&app, &admin);
    app.create_user(&admin, "mfa@servicedesk.test", "Mo", "agent", json!({}));
    let me = app.login("mfa@servicedesk.test", PASSWORD).access;
    // No password, or the wrong one: refused, nothing enrolled.
    app.post(&me, "/auth/mfa/enable", json!({})).problem(422);
    let r = app.post(
        &me,
        "/auth/mfa/enable",
        json!({ "password": "not mine at all" }),
    );
    r.problem(422);
    assert_eq!(r.body["errors"][0]["field"], "password", "{}", r.text);
    let (secret, codes, _) = enable_mfa_with(&app, &me, PASSWORD);
    assert_eq!(codes.len(), 10);

    // New recovery codes need the password and replace the old ones.
    app.post(
        &me,
        "/auth/mfa/recovery-codes",
        json!({ "password": "wrong one here" }),
    )
    .problem(422);
    let r = app.post(
        &me,
        "/auth/mfa/recovery-codes",
        json!({ "password": PASSWORD }),
    );
    r.status_is(200);
    let fresh: Vec<String> = r.body["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(fresh.len(), 10);
    let challenge = |app: &TestApp| {
        let r = app.login_raw("mfa@servicedesk.test", PASSWORD);
        r.status_is(200);
        r.body["mfa_token"].as_str().unwrap().to_owned()
    };
    let t = challenge(&app);
    app.post_anon(
        "/auth/mfa/verify",
        json!({ "mfa_token": t, "code": codes[0] }),
    )
    .problem(401);
    let t = challenge(&app);
    app.post_anon(
        "/auth/mfa/verify",
        json!({ "mfa_token": t, "code": fresh[0] }),
    )
    .status_is(200);

    // Disable: the password and a code, both right.
    let code = totp_at(&secret, totp_step_now() + 1);
    app.post(
        &me,
        "/auth/mfa/disable",
        json!({ "password": "wrong password", "code": code }),
    )
    .problem(422);
    app.post(
        &me,
        "/auth/mfa/disable",
        json!({ "password": PASSWORD, "code": "000000" }),
    )
    .problem(422);
    app.post(
        &me,
        "/auth/mfa/disable",
        json!({ "password": PASSWORD, "code": fresh[1] }),
    )
    .status_is(204);
    let mails = app.mailbox().wait_for("mfa@servicedesk.test", 1);
    assert!(
        mails
            .iter()
            .any(|m| m.subject.contains("Two-factor sign-in was turned off")),
        "{:?}",
        mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    // Signing in needs no second factor any more.
    app.login("mfa@servicedesk.test", PASSWORD);

    // A password change mails too.
    let me = app.login("mfa@servicedesk.test", PASSWORD).access;
    app.post(
        &me,
        "/users/me/password",
        json!({ "current_password": PASSWORD, "new_password": "an even better passphrase" }),
    )
    .status_is(204);
    let mails = app.mailbox().wait_for("mfa@servicedesk.test", 2);
    assert!(
        mails
            .iter()
            .any(|m| m.subject.contains("Your password was changed")),
        "{:?}",
        mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );

    let actions = audit_actions(&app, &org);
    for action in [
        "user.mfa_enable",
        "user.mfa_confirm",
        "user.mfa_recovery_codes",
        "user.mfa_disable",
        "user.password_change",
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} not in {actions:?}"
        );
    }
}

fn mfa_changes_are_throttled_like_sign_in(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    app.create_user(&admin, "slow@servicedesk.test", "Slow", "agent", json!({}));
    let me = app.login("slow@servicedesk.test", PASSWORD).access;
    for i in 0..10 {
        let r = app.post(
            &me,
            "/auth/mfa/enable",
            json!({ "password": format!("guess number {i}") }),
        );
        r.problem(422);
    }
    // Held now, even with the right password.
    let r = app.post(&me, "/auth/mfa/enable", json!({ "password": PASSWORD }));
    assert!(retry_after(&r) > 30);
    // The guesses are in the failed sign-in list.
    let r = app.get(&admin, "/auth/failed-logins?limit=200");
    let n = r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["email"] == "slow@servicedesk.test")
        .count();
    assert_eq!(n, 10, "{}", r.text);
}

fn an_admin_resets_a_users_mfa_and_signs_them_out(backend: Backend) {
    let Some(app) = TestApp::start_with_mail(backend) else {
        return;
    };
    let admin = app.admin().access;
    let org = default_org(&app, &admin);
    let user = app.create_user(&admin, "lost@servicedesk.test", "Lost", "agent", json!({}));
    let id = user["id"].as_str().unwrap().to_owned();
    let session = app.login("lost@servicedesk.test", PASSWORD);
    enable_mfa_with(&app, &session.access, PASSWORD);
    // Not for agents; not for users of other organizations.
    app.create_user(&admin, "peer@servicedesk.test", "Peer", "agent", json!({}));
    let peer = app.login("peer@servicedesk.test", PASSWORD).access;
    app.post(&peer, &format!("/users/{id}/mfa/reset"), json!({}))
        .problem(403);
    // Nor for the user themselves: turning it off takes the password and a code (profile),
    // which a stolen session alone does not have.
    app.post(
        &session.access,
        &format!("/users/{id}/mfa/reset"),
        json!({}),
    )
    .problem(403);
    let acme = app.post(&admin, "/organizations", json!({ "name": "Acme" }));
    app.create_user(
        &admin,
        "boss@acme.test",
        "Boss",
        "admin",
        json!({ "org_id": acme.body["id"] }),
    );
    let boss = app.login("boss@acme.test", PASSWORD).access;
    app.post(&boss, &format!("/users/{id}/mfa/reset"), json!({}))
        .problem(404);

    app.post(&admin, &format!("/users/{id}/mfa/reset"), json!({}))
        .status_is(204);
    // Signed out everywhere: the access token and the refresh token are dead.
    app.get(&session.access, "/users/me").problem(401);
    app.post_anon("/auth/refresh", json!({ "refresh_token": session.refresh }))
        .problem(401);
    // The password alone signs in again.
    app.login("lost@servicedesk.test", PASSWORD);
    let mails = app.mailbox().wait_for("lost@servicedesk.test", 1);
    assert!(
        mails
            .iter()
            .any(|m| m.subject.contains("An administrator reset your two-factor")),
        "{:?}",
        mails.iter().map(|m| &m.subject).collect::<Vec<_>>()
    );
    assert!(
        audit_actions(&app, &org)
            .iter()
            .any(|a| a == "user.mfa_reset")
    );
}

fn a_refused_new_password_leaves_the_reset_link_usable(backend: Backend) {
    let Some(app) = TestApp::start_with_mail(backend) else {
        return;
    };
    let admin = app.admin().access;
    app.create_user(
        &admin,
        "forgetful@servicedesk.test",
        "Fo",
        "agent",
        json!({}),
    );
    app.post_anon(
        "/auth/password-reset",
        json!({ "email": "forgetful@servicedesk.test" }),
    )
    .status_is(202);
    let token = app.mailbox().wait_for("forgetful@servicedesk.test", 1)[0].token();
    // Long enough, but the address itself: refused after the token was looked up.
    let r = app.post_anon(
        "/auth/password-confirm",
        json!({ "token": token, "new_password": "Forgetful@servicedesk.test" }),
    );
    r.problem(422);
    assert_eq!(r.body["errors"][0]["field"], "new_password", "{}", r.text);
    // The same link still works with an acceptable password, once.
    app.post_anon(
        "/auth/password-confirm",
        json!({ "token": token, "new_password": "a much better passphrase" }),
    )
    .status_is(204);
    app.login("forgetful@servicedesk.test", "a much better passphrase");
    app.post_anon(
        "/auth/password-confirm",
        json!({ "token": token, "new_password": "yet another passphrase" }),
    )
    .problem(422);
}

fn reset_requests_answer_alike_and_change_no_account(backend: Backend) {
    use servicedesk_core::ports::AccountStore;
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    let user = app.create_user(&admin, "known@servicedesk.test", "Kn", "agent", json!({}));
    let store = app.running().store.clone();
    let org = servicedesk_core::ids::OrgId(user["org_id"].as_str().unwrap().parse().unwrap());
    let id = servicedesk_core::ids::UserId(user["id"].as_str().unwrap().parse().unwrap());
    let before = store.account(org, id).unwrap().version;
    // Concurrent requests for a known address never conflict (no 409), like unknown ones.
    let statuses: Vec<(u16, u16)> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..4)
            .map(|i| {
                let app = &app;
                s.spawn(move || {
                    let known = app.post_anon(
                        "/auth/password-reset",
                        json!({ "email": "known@servicedesk.test" }),
                    );
                    let unknown = app.post_anon(
                        "/auth/password-reset",
                        json!({ "email": format!("ghost{i}@servicedesk.test") }),
                    );
                    assert_eq!(known.text, unknown.text, "the answers differ");
                    (known.status, unknown.status)
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(statuses.iter().all(|s| *s == (202, 202)), "{statuses:?}");
    assert_eq!(
        store.account(org, id).unwrap().version,
        before,
        "a reset request changed the account"
    );
    // The account still works as before.
    app.login("known@servicedesk.test", PASSWORD);
}

fn refresh(app: &TestApp, token: &str) -> Resp {
    app.post_anon("/auth/refresh", json!({ "refresh_token": token }))
}

fn two_concurrent_refreshes_both_succeed_with_the_same_new_token(backend: Backend) {
    let app = TestApp::start(backend);
    for round in 0..3 {
        let session = app.admin();
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| refresh(&app, &session.refresh));
            let b = s.spawn(|| refresh(&app, &session.refresh));
            (a.join().unwrap(), b.join().unwrap())
        });
        a.status_is(200);
        b.status_is(200);
        let (a, b) = (Session::from_tokens(&a), Session::from_tokens(&b));
        assert_eq!(
            a.refresh, b.refresh,
            "round {round}: one successor for both tabs"
        );
        assert_ne!(a.refresh, session.refresh);
        // Both access tokens work, and the session lives on with the shared successor.
        app.get(&a.access, "/users/me").status_is(200);
        app.get(&b.access, "/users/me").status_is(200);
        let next = refresh(&app, &a.refresh);
        next.status_is(200);
        app.get(&Session::from_tokens(&next).access, "/users/me")
            .status_is(200);
    }
}

fn a_refresh_token_reused_after_the_grace_revokes_the_session(backend: Backend) {
    let clock = Arc::new(ShiftClock::default());
    let app = app_with(backend, &clock, "");
    let first = app.admin();
    let second = Session::from_tokens(&refresh(&app, &first.refresh));
    // Within the grace: the same successor again.
    let again = Session::from_tokens(&refresh(&app, &first.refresh));
    assert_eq!(again.refresh, second.refresh);
    // After it: a replay, and the whole session is revoked.
    clock.advance_secs(31);
    refresh(&app, &first.refresh).problem(401);
    refresh(&app, &second.refresh).problem(401);
    app.get(&second.access, "/users/me").problem(401);
}

fn sessions_end_thirty_days_after_sign_in_however_often_refreshed(backend: Backend) {
    let clock = Arc::new(ShiftClock::default());
    let app = app_with(backend, &clock, "");
    let mut token = app.admin().refresh;
    // Refreshed every ten days, the session still ends 30 days after the sign-in.
    let mut today = 0;
    for day in [10, 20, 29] {
        clock.advance_secs((day - today) * 86_400);
        today = day;
        let r = refresh(&app, &token);
        assert_eq!(r.status, 200, "day {day}: {}", r.text);
        token = Session::from_tokens(&r).refresh;
    }
    clock.advance_secs(86_400 + 60);
    refresh(&app, &token).problem(401);
    // A new sign-in starts a new session.
    let fresh = app.admin();
    refresh(&app, &fresh.refresh).status_is(200);
}
