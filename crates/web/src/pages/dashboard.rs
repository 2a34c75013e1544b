//! The desk dashboard (RPT-1) for managers and admins: the open backlog by priority and
//! age, SLA compliance, time to resolve and to first answer, and the last 30 days' volume,
//! over the tickets the reader may see. The figures are defined in docs/console.md.

use actix_web::{HttpResponse, get, web};
use chrono_tz::Tz;
use minijinja::context;
use serde::Serialize;
use servicedesk_core::reports::{AGE_BUCKETS, DeskFigures, DurationStats};

use super::{block, page};
use crate::Console;
use crate::charts::{Columns, NARROW, Rows, WIDE, columns, rows};
use crate::error::WebError;
use crate::render::ser;
use crate::session::SignedIn;
use crate::view::{is_manager, span, zone_of};

pub(super) fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(dashboard);
}

/// A duration statistic in words.
#[derive(Serialize)]
struct Stat {
    count: u64,
    mean: String,
    median: String,
    p90: String,
    /// The median in minutes (tests read it).
    median_minutes: i64,
}

fn stat(s: Option<DurationStats>) -> Option<Stat> {
    s.map(|s| Stat {
        count: s.count,
        mean: span(s.mean_minutes),
        median: span(s.median_minutes),
        p90: span(s.p90_minutes),
        median_minutes: s.median_minutes,
    })
}

/// What the template shows, beside the raw figures.
#[derive(Serialize)]
struct View {
    figures: DeskFigures,
    /// Each age bucket's heading, long and short (phones).
    ages: Vec<(&'static str, &'static str)>,
    resolution: Option<Stat>,
    first_response: Option<Stat>,
    compliance: Option<String>,
    /// Each chart twice: wide for desktops, narrow for phones (CSS shows one).
    volume_chart: Columns,
    volume_chart_narrow: Columns,
    backlog_chart: Rows,
    backlog_chart_narrow: Rows,
    window: String,
    zone: String,
}

fn view(figures: DeskFigures, zone: Tz) -> View {
    let day = |d: chrono::NaiveDate| d.format("%-d %b").to_string();
    let volume: Vec<(String, u64, u64)> = figures
        .volume
        .iter()
        .map(|d| (day(d.date), d.opened, d.resolved))
        .collect();
    let volume_summary = format!(
        "Tickets opened and resolved per day: {} opened and {} resolved in 30 days.",
        figures.opened, figures.resolved
    );
    let volume_chart = |width| {
        columns(
            width,
            &volume,
            ("opened", "resolved"),
            true,
            7,
            volume_summary.clone(),
        )
    };
    let priorities: Vec<(String, u64, String)> = figures
        .backlog
        .rows
        .iter()
        .map(|r| (r.priority.to_string(), r.total, r.priority.to_string()))
        .collect();
    let backlog_summary = format!(
        "Open tickets by priority: {} in all.",
        figures.backlog.total
    );
    let first = figures.volume.first().map(|d| d.date);
    let last = figures.volume.last().map(|d| d.date);
    let window = match (first, last) {
        (Some(a), Some(b)) => format!("{} – {}", a.format("%-d %b %Y"), b.format("%-d %b %Y")),
        _ => String::new(),
    };
    View {
        ages: AGE_BUCKETS
            .iter()
            .map(|b| (b.label(), b.short_label()))
            .collect(),
        resolution: stat(figures.resolution),
        first_response: stat(figures.first_response),
        compliance: figures.compliance.percent.map(|p| format!("{p:.1} %")),
        volume_chart: volume_chart(WIDE),
        volume_chart_narrow: volume_chart(NARROW),
        backlog_chart: rows(WIDE, &priorities, backlog_summary.clone()),
        backlog_chart_narrow: rows(NARROW, &priorities, backlog_summary),
        window,
        zone: zone.name().to_owned(),
        figures,
    }
}

#[get("/dashboard")]
async fn dashboard(console: web::Data<Console>, s: SignedIn) -> Result<HttpResponse, WebError> {
    if !is_manager(&s.actor) {
        return Err(WebError::Forbidden);
    }
    let c = console.clone();
    let actor = s.actor.clone();
    let zone = zone_of(&console, &s.actor);
    let figures = block(move || c.reports.desk(&actor, zone)).await??;
    page(
        &console,
        &s,
        "dashboard.html",
        "dashboard",
        "Dashboard",
        context! { d => ser(view(figures, zone)) },
    )
}
