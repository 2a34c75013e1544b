//! The verification recipes of `docs/notifications.md` (Python, shell with openssl), run as
//! written against signatures made by `sign`: an independent HMAC implementation agrees
//! with ours, and the documented snippets work. The snippets are taken from the document's
//! `## Webhooks` section, so the test fails when the docs drift.
//!
//! Each recipe skips when its tool (`python3`, `sh` + `openssl`) is missing.
#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use servicedesk_core::ports::{Clock, SystemClock};
use servicedesk_webhook::sign;

const DOC: &str = include_str!("../../../docs/notifications.md");

/// The first fenced block of `lang` in the `## Webhooks` section.
fn snippet(lang: &str) -> String {
    let section = DOC.split("\n## Webhooks\n").nth(1).unwrap();
    let section = section.split("\n## ").next().unwrap();
    let fence = format!("\n```{lang}\n");
    let start = section.find(&fence).unwrap() + fence.len();
    let len = section[start..].find("\n```").unwrap();
    section[start..start + len].to_owned()
}

fn have(tool: &str, args: &[&str]) -> bool {
    let ok = Command::new(tool)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        println!("skipped: {tool} not available");
    }
    ok
}

/// (secret, body, timestamp offset from now in seconds, tamper) → expected validity.
fn cases(now: i64) -> Vec<(String, Vec<u8>, String, bool)> {
    let secret = "whsec_Zx9 with spaces & symbols $HOME";
    let body = "{\"summary\":\"INC-42 \\\"Mail down\\\" <ops & infra>: r\u{e9}solution\"}\n"
        .as_bytes()
        .to_vec();
    let fresh = sign(secret.as_bytes(), now - 5, &body);
    let mut tampered = body.clone();
    tampered[3] ^= 0x20;
    vec![
        (secret.into(), body.clone(), fresh.clone(), true),
        (secret.into(), tampered, fresh.clone(), false),
        ("whsec_other".into(), body.clone(), fresh.clone(), false),
        (
            secret.into(),
            body.clone(),
            sign(secret.as_bytes(), now - 3600, &body),
            false,
        ),
        (
            secret.into(),
            b"".to_vec(),
            sign(secret.as_bytes(), now, b""),
            true,
        ),
    ]
}

#[test]
fn the_python_recipe_accepts_good_signatures_and_refuses_bad_ones() {
    if !have("python3", &["--version"]) {
        return;
    }
    let recipe = snippet("python");
    let now = SystemClock.now().timestamp();
    for (secret, body, header, expected) in cases(now) {
        let program = format!(
            "{recipe}\n\nimport sys\n\
             ok = servicedesk_signature_ok(sys.argv[1].encode(), sys.argv[2], sys.stdin.buffer.read())\n\
             print('valid' if ok else 'INVALID')\n"
        );
        let mut child = Command::new("python3")
            .args(["-c", &program, &secret, &header])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&body).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        let said = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            said.trim() == "valid",
            expected,
            "{header} over {:?}: {said}",
            String::from_utf8_lossy(&body)
        );
    }
}

#[test]
fn the_openssl_recipe_accepts_good_signatures_and_refuses_bad_ones() {
    if !have("sh", &["-c", "true"]) || !have("openssl", &["version"]) {
        return;
    }
    let recipe = snippet("sh");
    let now = SystemClock.now().timestamp();
    for (i, (secret, body, header, expected)) in cases(now).into_iter().enumerate() {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("recipe-sh-{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("body.json"), &body).unwrap();
        let out = Command::new("sh")
            .args(["-c", &recipe])
            .current_dir(&dir)
            .env("SECRET", &secret)
            .env("HEADER", &header)
            .output()
            .unwrap();
        let said = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            said.trim() == "valid",
            expected,
            "{header}: {said} {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
