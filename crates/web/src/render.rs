//! Templates: minijinja (the engine the mail crate already uses, so the console adds no
//! template dependency), files under `templates/` embedded with `include_str!`, HTML
//! auto-escaped. Every template is parsed when the renderer is built and rendered by a
//! test, so a broken template fails the build's tests, not a user's page.

use std::sync::LazyLock;

use chrono_tz::Tz;
use minijinja::value::Serde;
use minijinja::{Environment, Value, context};
use serde::Serialize;

use crate::assets;
use crate::error::WebError;

/// The console's templates, by name.
const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html", include_str!("../templates/layout.html")),
    ("error.html", include_str!("../templates/error.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("sign_in.html", include_str!("../templates/sign_in.html")),
    ("mfa.html", include_str!("../templates/mfa.html")),
    ("register.html", include_str!("../templates/register.html")),
    ("verify.html", include_str!("../templates/verify.html")),
    ("reset.html", include_str!("../templates/reset.html")),
    ("message.html", include_str!("../templates/message.html")),
    ("home.html", include_str!("../templates/home.html")),
    ("queue.html", include_str!("../templates/queue.html")),
    (
        "new_incident.html",
        include_str!("../templates/new_incident.html"),
    ),
    ("ticket.html", include_str!("../templates/ticket.html")),
    ("catalog.html", include_str!("../templates/catalog.html")),
    (
        "request_form.html",
        include_str!("../templates/request_form.html"),
    ),
    (
        "approvals.html",
        include_str!("../templates/approvals.html"),
    ),
    (
        "notifications.html",
        include_str!("../templates/notifications.html"),
    ),
    ("profile.html", include_str!("../templates/profile.html")),
    (
        "dashboard.html",
        include_str!("../templates/dashboard.html"),
    ),
    ("charts.html", include_str!("../templates/charts.html")),
];

/// Every template: the console's and the administration pages' (`pages::admin`).
fn all_templates() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    TEMPLATES
        .iter()
        .chain(crate::pages::admin::templates::TEMPLATES)
}

/// Any serialisable value as a template value (lists, view structs, JSON).
pub(crate) fn ser<T: Serialize>(value: T) -> Value {
    Value::from(Serde(value))
}

/// The template environment.
pub(crate) struct Renderer {
    env: Environment<'static>,
}

/// The one renderer of the process.
pub(crate) static RENDERER: LazyLock<Renderer> = LazyLock::new(Renderer::new);

thread_local! {
    /// The zone of the page being rendered: rendering is synchronous on one thread, and a
    /// filter cannot see the context of a macro imported from another template.
    static ZONE: std::cell::Cell<Tz> = const { std::cell::Cell::new(Tz::UTC) };
}

/// An RFC 3339 instant in the reader's zone, to the minute ("1 Dec 2026, 17:42 CET").
fn local(value: String) -> String {
    match chrono::DateTime::parse_from_rfc3339(&value) {
        Ok(t) => t
            .with_timezone(&ZONE.with(std::cell::Cell::get))
            .format("%-d %b %Y, %H:%M %Z")
            .to_string(),
        Err(_) => value,
    }
}

/// A history value: an instant in the reader's zone, anything else as it is.
fn instant(value: String) -> String {
    if chrono::DateTime::parse_from_rfc3339(&value).is_ok() {
        local(value)
    } else {
        value
    }
}

fn utc(value: String) -> String {
    // Values arrive as RFC 3339; shown to the minute.
    match chrono::DateTime::parse_from_rfc3339(&value) {
        Ok(t) => t
            .with_timezone(&chrono::Utc)
            .format("%Y-%m-%d %H:%M UTC")
            .to_string(),
        Err(_) => value,
    }
}

impl Renderer {
    fn new() -> Self {
        let mut env = Environment::new();
        // An absent value renders as nothing, also behind a dot (`form.title` on a fresh
        // form): pages are given only what they have.
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        for (name, source) in all_templates() {
            if let Err(e) = env.add_template(name, source) {
                // Checked by the tests; a broken template must not take the server down.
                tracing::error!(template = name, error = %e, "console template does not parse");
            }
        }
        env.add_filter("utc", utc);
        env.add_filter("local", local);
        env.add_filter("instant", instant);
        // A per-form idempotency nonce: a double submit of one form creates one ticket.
        env.add_function("nonce", || uuid::Uuid::new_v4().simple().to_string());
        env.add_global("min_password", servicedesk_core::identity::MIN_PASSWORD);
        env.add_global("css", assets::css());
        env.add_global("js", assets::js());
        Self { env }
    }

    /// Renders `name` with `ctx`, times in `zone`.
    ///
    /// # Errors
    /// `Internal` when the template fails (logged).
    pub(crate) fn render_in(&self, name: &str, ctx: Value, zone: Tz) -> Result<String, WebError> {
        ZONE.with(|z| z.set(zone));
        let page = self.render(name, ctx);
        ZONE.with(|z| z.set(Tz::UTC));
        page
    }

    /// Renders `name` with `ctx`, times in UTC.
    ///
    /// # Errors
    /// `Internal` when the template fails (logged).
    pub(crate) fn render(&self, name: &str, ctx: Value) -> Result<String, WebError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| {
                tracing::error!(template = name, error = %e, "console template failed");
                WebError::Internal
            })
    }

    /// The error page (no session details: it also serves visitors who are not signed in).
    pub(crate) fn error_page(&self, status: u16, title: &str, message: &str) -> String {
        self.render(
            "error.html",
            context! { status, title, message, page_title => title },
        )
        .unwrap_or_else(|_| format!("<!doctype html><title>{status}</title><p>{status}</p>"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        let r = Renderer::new();
        for (name, _) in all_templates() {
            assert!(r.env.get_template(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn every_template_file_is_registered() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/templates");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            assert!(
                all_templates().any(|(n, _)| *n == name),
                "{name} is in templates/ but not in TEMPLATES"
            );
        }
    }

    #[test]
    fn times_show_in_the_readers_zone_with_utc_on_hover() {
        let r = Renderer::new();
        let ctx = context! { t => "2026-12-01T23:30:00+00:00" };
        let tmpl = r#"{% from "macros.html" import when %}{{ when(t) }}"#;
        let mut env = r.env.clone();
        env.add_template("t.html", tmpl).unwrap();
        let r = Renderer { env };
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let html = r.render_in("t.html", ctx.clone(), berlin).unwrap();
        assert!(html.contains(">2 Dec 2026, 00:30 CET<"), "{html}");
        assert!(html.contains(r#"title="2026-12-01 23:30 UTC""#), "{html}");
        let html = r.render("t.html", ctx).unwrap();
        assert!(html.contains(">1 Dec 2026, 23:30 UTC<"), "{html}");
    }

    #[test]
    fn the_error_page_escapes_what_it_shows() {
        let page = RENDERER.error_page(404, "Not found", "<script>alert(1)</script>");
        assert!(page.contains("&lt;script&gt;"), "{page}");
        assert!(!page.contains("<script>alert"), "{page}");
    }
}
