//! Due-date benchmarks: 240 business hours (30 days of 8 h) on a Berlin office
//! calendar with a lunch break and ~15 holidays a year, starting in March so the
//! span crosses the DST change and Easter.

use std::hint::black_box;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use servicedesk_sla::{Calendar, WeeklyHours, WorkInterval};

/// Berlin public holidays plus company days off, 2026 and 2027 (15 a year).
const HOLIDAYS: &[&str] = &[
    "2026-01-01",
    "2026-03-08",
    "2026-04-03",
    "2026-04-06",
    "2026-05-01",
    "2026-05-14",
    "2026-05-15",
    "2026-05-25",
    "2026-10-03",
    "2026-10-30",
    "2026-12-24",
    "2026-12-25",
    "2026-12-26",
    "2026-12-31",
    "2026-08-14",
    "2027-01-01",
    "2027-03-08",
    "2027-03-26",
    "2027-03-29",
    "2027-05-01",
    "2027-05-06",
    "2027-05-07",
    "2027-05-17",
    "2027-10-03",
    "2027-10-29",
    "2027-12-24",
    "2027-12-25",
    "2027-12-26",
    "2027-12-31",
    "2027-08-13",
];

fn berlin_office() -> Calendar {
    let interval = |a, b| WorkInterval::parse(a, b).expect("valid interval");
    let holidays = HOLIDAYS
        .iter()
        .map(|d| d.parse::<NaiveDate>().expect("valid date"));
    Calendar::new(
        chrono_tz::Europe::Berlin,
        WeeklyHours::weekdays(vec![interval("09:00", "12:00"), interval("13:00", "17:00")]),
        holidays,
    )
    .expect("valid calendar")
}

fn due_date(c: &mut Criterion) {
    let calendar = berlin_office();
    // Monday 2026-03-16 10:00 CET.
    let start: DateTime<Utc> = "2026-03-16T09:00:00Z".parse().expect("valid instant");
    let target = TimeDelta::hours(240);
    let due = calendar.add_business_time(start, target);

    c.bench_function("add_business_time 240h berlin office", |b| {
        b.iter(|| calendar.add_business_time(black_box(start), black_box(target)))
    });
    c.bench_function("business_time_between 240h berlin office", |b| {
        b.iter(|| calendar.business_time_between(black_box(start), black_box(due)))
    });
    let twenty_four_seven = Calendar::twenty_four_seven();
    c.bench_function("add_business_time 240h 24x7", |b| {
        b.iter(|| twenty_four_seven.add_business_time(black_box(start), black_box(target)))
    });
}

criterion_group!(benches, due_date);
criterion_main!(benches);
