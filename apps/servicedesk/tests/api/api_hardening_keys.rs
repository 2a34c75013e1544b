//! Issue 9 point 14: keys. Generated key files are owner-only; a key of the wrong length is
//! a start-up error, never a panic; the JWT key ring rotates (the first key signs, all
//! verify) and so does the sealing key of TOTP and webhook secrets (old keys open, the
//! current one seals, `keys reseal` moves stored secrets to it).

#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use diesel::{Connection, RunQueryDsl};
use serde_json::{Value, json};
use servicedesk::config::{jwt_keys, parse_jwt_keys, parse_sealing_keys, sealing_keys};
use servicedesk_core::ports::SecretBox;

use crate::common::*;

api_tests!(
    rotated_jwt_keys_keep_old_tokens_and_sign_with_the_new,
    secret_sealed_with_the_old_key_opens_after_rotation_and_reseal,
    wrong_length_keys_are_start_up_errors,
);

fn key(n: usize, fill: u8) -> Vec<u8> {
    vec![fill; n]
}

/// A second server on the same database as `app`, with `config`.
struct Second {
    running: Option<servicedesk::Running>,
    base: String,
    http: ureq::Agent,
}

impl Second {
    fn start(config: servicedesk::Config) -> Self {
        let running = servicedesk::start_with_clock(
            servicedesk::Config {
                bind: "127.0.0.1:0".into(),
                ..config
            },
            Arc::new(servicedesk_core::ports::SystemClock),
        )
        .unwrap();
        let base = format!("http://{}", running.addr);
        let http: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        Self {
            running: Some(running),
            base,
            http,
        }
    }

    fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}/api/v1{path}", self.base);
        let mut req = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let mut resp = match body {
            Some(b) => self
                .http
                .run(
                    req.header("content-type", "application/json")
                        .body(b.to_string())
                        .unwrap(),
                )
                .unwrap(),
            None => self.http.run(req.body(()).unwrap()).unwrap(),
        };
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

impl Drop for Second {
    fn drop(&mut self) {
        if let Some(r) = self.running.take() {
            r.stop();
        }
    }
}

fn kid_of(token: &str) -> String {
    json_b64(token.split('.').next().unwrap())["kid"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn rotated_jwt_keys_keep_old_tokens_and_sign_with_the_new(backend: Backend) {
    let app = TestApp::start(backend);
    let old_token = app.admin().access;
    assert_eq!(kid_of(&old_token), JWT_KID);

    // Rotation: a new signing key k2, the old one kept for verification.
    let mut rotated = app.config.clone();
    rotated.jwt_kid = "k2".into();
    rotated.jwt_secret = key(48, 0x42);
    rotated.jwt_retired = vec![(JWT_KID.into(), app.config.jwt_secret.clone())];
    let second = Second::start(rotated.clone());
    let (status, me) = second.call("GET", "/users/me", Some(&old_token), None);
    assert_eq!(
        status, 200,
        "a token signed with the old key still verifies: {me}"
    );
    assert_eq!(me["email"], ADMIN_EMAIL);

    let (status, tokens) = second.call(
        "POST",
        "/auth/login",
        None,
        Some(json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD })),
    );
    assert_eq!(status, 200, "{tokens}");
    let new_token = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        kid_of(&new_token),
        "k2",
        "new tokens are signed by the new key"
    );
    let (status, _) = second.call("GET", "/users/me", Some(&new_token), None);
    assert_eq!(status, 200);
    // The server that knows only the old key does not accept the new key's tokens.
    app.get(&new_token, "/users/me").problem(401);
    drop(second);

    // Once the old key is dropped from the ring its tokens stop verifying.
    let mut dropped = rotated;
    dropped.jwt_retired = Vec::new();
    let third = Second::start(dropped);
    assert_eq!(
        third.call("GET", "/users/me", Some(&old_token), None).0,
        401
    );
    assert_eq!(
        third.call("GET", "/users/me", Some(&new_token), None).0,
        200
    );
}

fn stored_totp_secret(app: &TestApp, backend: Backend, email: &str) -> String {
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        mfa_secret_enc: String,
    }
    let sql = format!("SELECT mfa_secret_enc FROM users WHERE email = '{email}'");
    let rows: Vec<Row> = match backend {
        Backend::Sqlite => {
            let mut c =
                diesel::sqlite::SqliteConnection::establish(&app.config.database_url).unwrap();
            diesel::sql_query(sql).load(&mut c).unwrap()
        }
        Backend::Postgres => {
            let mut c = diesel::pg::PgConnection::establish(&app.config.database_url).unwrap();
            diesel::sql_query(sql).load(&mut c).unwrap()
        }
    };
    rows.into_iter().next().unwrap().mfa_secret_enc
}

fn secret_sealed_with_the_old_key_opens_after_rotation_and_reseal(backend: Backend) {
    let app = TestApp::start(backend);
    let admin = app.admin().access;
    app.create_user(&admin, "mfa@example.test", "Mfa", "agent", json!({}));
    let user = app.login("mfa@example.test", PASSWORD).access;
    let (secret, _, step) = enable_mfa(&app, &user);
    app.post(
        &admin,
        "/webhooks",
        json!({ "name": "ops", "url": "https://hooks.example.test/x", "events": ["incident.created"] }),
    )
    .status_is(201);
    let old_key = app.config.secret_key.clone();
    let sealed_before = stored_totp_secret(&app, backend, "mfa@example.test");

    // Rotation: a new sealing key; the old one only opens.
    let mut rotated = app.config.clone();
    rotated.secret_key = key(32, 0x17);
    rotated.secret_keys_retired = vec![old_key.clone()];
    let second = Second::start(rotated.clone());
    let (status, challenge) = second.call(
        "POST",
        "/auth/login",
        None,
        Some(json!({ "email": "mfa@example.test", "password": PASSWORD })),
    );
    assert_eq!(status, 200, "{challenge}");
    assert_eq!(challenge["mfa_required"], true);
    let (status, tokens) = second.call(
        "POST",
        "/auth/mfa/verify",
        None,
        Some(json!({
            "mfa_token": challenge["mfa_token"],
            "code": totp_at(&secret, step + 1),
        })),
    );
    assert_eq!(
        status, 200,
        "the TOTP secret sealed with the old key opens after rotation: {tokens}"
    );
    drop(second);

    // Re-seal: every stored secret moves to the new key; a second run has nothing to do.
    let done = servicedesk::reseal_secrets(&rotated).unwrap();
    assert_eq!((done.totp, done.webhooks), (1, 1));
    let again = servicedesk::reseal_secrets(&rotated).unwrap();
    assert_eq!((again.totp, again.webhooks), (0, 0));
    let sealed_after = stored_totp_secret(&app, backend, "mfa@example.test");
    assert_ne!(sealed_after, sealed_before);
    let new_only = servicedesk_auth::AeadSecretBox::new(&rotated.secret_key).unwrap();
    let old_only = servicedesk_auth::AeadSecretBox::new(&old_key).unwrap();
    assert_eq!(
        new_only.open(&sealed_after).unwrap(),
        old_only.open(&sealed_before).unwrap()
    );
    assert!(old_only.open(&sealed_after).is_err());
    assert!(new_only.open(&sealed_before).is_err());

    // Without the key that sealed a value, re-sealing refuses instead of guessing.
    let mut missing = rotated;
    missing.secret_key = key(32, 0x99);
    missing.secret_keys_retired = Vec::new();
    let err = servicedesk::reseal_secrets(&missing).unwrap_err();
    assert!(err.to_string().contains("another key"), "{err:#}");
}

fn wrong_length_keys_are_start_up_errors(backend: Backend) {
    let app = TestApp::start(backend);
    for bad in [16, 31, 33, 64] {
        let mut config = app.config.clone();
        config.secret_key = key(bad, 1);
        let err = servicedesk::build(&config)
            .err()
            .expect("a short key is refused");
        assert!(err.to_string().contains("32 bytes"), "{err:#}");
        let mut config = app.config.clone();
        config.secret_keys_retired = vec![key(bad, 1)];
        let err = servicedesk::build(&config)
            .err()
            .expect("a retired key too");
        assert!(err.to_string().contains("retired"), "{err:#}");
    }
    let mut config = app.config.clone();
    config.jwt_secret = key(16, 1);
    let err = servicedesk::build(&config)
        .err()
        .expect("a short JWT key is refused");
    assert!(err.to_string().contains("at least 32"), "{err:#}");
}

#[test]
fn key_lists_are_parsed_with_clear_errors() {
    let k32 = STANDARD.encode(key(32, 3));
    let k16 = STANDARD.encode(key(16, 3));
    let ring = parse_jwt_keys(&format!("new:{k32}\n# old one\nold:{k32}\n"), "test").unwrap();
    assert_eq!(
        ring.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        ["new", "old"]
    );
    let ring = parse_jwt_keys(&format!("a:{k32},b:{k32}"), "test").unwrap();
    assert_eq!(ring.len(), 2);
    for (text, expected) in [
        (format!("k1:{k16}"), "at least 32"),
        (format!("k1:{k32}\nk1:{k32}"), "twice"),
        (k32.clone(), "kid:base64"),
        (format!("bad kid:{k32}"), "key id"),
        ("k1:%%%".to_owned(), "not base64"),
        (String::new(), "no key"),
    ] {
        let err = parse_jwt_keys(&text, "SERVICEDESK_JWT_KEYS").unwrap_err();
        assert!(
            err.to_string().contains(expected) && err.to_string().contains("SERVICEDESK_JWT_KEYS"),
            "{text:?}: {err}"
        );
    }
    assert_eq!(
        parse_sealing_keys(&format!("{k32}\n{k32}"), "t")
            .unwrap()
            .len(),
        2
    );
    let err = parse_sealing_keys(&k16, "SERVICEDESK_SECRET_KEYS").unwrap_err();
    assert!(err.to_string().contains("exactly 32"), "{err}");
    let err = parse_sealing_keys(&STANDARD.encode(key(48, 1)), "t").unwrap_err();
    assert!(err.to_string().contains("exactly 32"), "{err}");
}

#[test]
fn key_rings_come_from_variables_files_or_generated_files() {
    let dir = tempfile::tempdir().unwrap();
    let k32 = STANDARD.encode(key(32, 5));
    let vars =
        |text: String| move |name: &str| (name == "SERVICEDESK_JWT_KEYS").then(|| text.clone());
    let ring = jwt_keys(&vars(format!("k9:{k32}")), dir.path()).unwrap();
    assert_eq!(ring[0].0, "k9");
    // A key file with several lines.
    let file = dir.path().join("jwt.keys");
    std::fs::write(&file, format!("k3:{k32}\nk2:{k32}\n")).unwrap();
    let path = file.to_str().unwrap().to_owned();
    let ring = jwt_keys(
        &|name: &str| (name == "SERVICEDESK_JWT_KEYS_FILE").then(|| path.clone()),
        dir.path(),
    )
    .unwrap();
    assert_eq!(
        ring.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(),
        ["k3", "k2"]
    );
    let sealing_file = dir.path().join("sealing.keys");
    std::fs::write(&sealing_file, format!("{k32}\n{k32}\n")).unwrap();
    let spath = sealing_file.to_str().unwrap().to_owned();
    let keys = sealing_keys(
        &|name: &str| (name == "SERVICEDESK_SECRET_KEYS_FILE").then(|| spath.clone()),
        dir.path(),
    )
    .unwrap();
    assert_eq!(keys.len(), 2);
    // A wrong-length key in a data-dir file names the file.
    let bad_dir = tempfile::tempdir().unwrap();
    std::fs::write(
        bad_dir.path().join("secret-box.key"),
        STANDARD.encode(key(16, 1)),
    )
    .unwrap();
    let err = sealing_keys(&|_: &str| None, bad_dir.path()).unwrap_err();
    assert!(
        err.to_string().contains("secret-box.key") && err.to_string().contains("exactly 32"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn generated_key_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let jwt = jwt_keys(&|_: &str| None, dir.path()).unwrap();
    let sealing = sealing_keys(&|_: &str| None, dir.path()).unwrap();
    assert_eq!(jwt.len(), 1);
    assert_eq!(jwt[0].0, "k1");
    assert_eq!(sealing[0].len(), 32);
    for file in ["jwt.key", "secret-box.key"] {
        let mode = std::fs::metadata(dir.path().join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file} mode {mode:o}");
    }
    // The next start reads the same keys back.
    assert_eq!(jwt_keys(&|_: &str| None, dir.path()).unwrap(), jwt);
    assert_eq!(sealing_keys(&|_: &str| None, dir.path()).unwrap(), sealing);
}
