//! Turning local wall-clock times into UTC instants, including the two DST
//! corner cases: wall times that never happen (spring-forward gap) and wall
//! times that happen twice (fall-back overlap).

use chrono::{
    DateTime, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, TimeZone, Utc,
};
use chrono_tz::{GapInfo, Tz};

use super::hours::MINUTES_PER_DAY;

/// Which instant an ambiguous (repeated) wall time stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Repeated {
    /// The first occurrence; used for interval starts so the interval is as long as
    /// real time allows.
    Earliest,
    /// The second occurrence; used for interval ends, for the same reason.
    Latest,
}

/// The local wall-clock time `minute` minutes after midnight of `date`
/// (1440 = the next date's 00:00). `None` only beyond chrono's date range.
pub(crate) fn wall_time(date: NaiveDate, minute: u16) -> Option<NaiveDateTime> {
    if minute >= MINUTES_PER_DAY {
        return date.succ_opt()?.and_hms_opt(0, 0, 0);
    }
    let time = NaiveTime::from_hms_opt(u32::from(minute / 60), u32::from(minute % 60), 0)?;
    Some(date.and_time(time))
}

/// The UTC instant of a local wall time in `zone`.
///
/// A wall time inside a spring-forward gap resolves to the first instant after
/// the gap (the moment the clocks jump to), so both an interval start and an
/// interval end that fall into the gap land on the same instant and nothing of
/// the missing hour counts. `None` only beyond chrono's date range.
pub(crate) fn resolve(zone: Tz, local: NaiveDateTime, repeated: Repeated) -> Option<DateTime<Utc>> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(at) => Some(at.to_utc()),
        LocalResult::Ambiguous(earliest, latest) => Some(match repeated {
            Repeated::Earliest => earliest.to_utc(),
            Repeated::Latest => latest.to_utc(),
        }),
        LocalResult::None => after_gap(zone, local),
    }
}

fn after_gap(zone: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    if let Some(end) = GapInfo::new(&local, &zone).and_then(|gap| gap.end) {
        return Some(end.to_utc());
    }
    // chrono-tz only lacks the gap's end at the edge of its tables; reading the
    // wall time with the offset in force before the gap lands past the jump,
    // which is the best remaining answer.
    let before = local.checked_sub_signed(TimeDelta::days(1))?;
    let offset = zone.offset_from_local_datetime(&before).earliest()?;
    local
        .checked_sub_offset(chrono::Offset::fix(&offset))
        .map(|utc| utc.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn local(date: &str, minute: u16) -> NaiveDateTime {
        wall_time(date.parse().unwrap(), minute).unwrap()
    }

    #[test]
    fn gap_resolves_to_the_end_of_the_gap() {
        let ny = chrono_tz::America::New_York;
        // 2026-03-08 02:30 does not exist in New York; clocks jump 02:00 EST -> 03:00 EDT.
        let expected = at("2026-03-08T07:00:00Z");
        for repeated in [Repeated::Earliest, Repeated::Latest] {
            assert_eq!(
                resolve(ny, local("2026-03-08", 150), repeated),
                Some(expected)
            );
            assert_eq!(
                resolve(ny, local("2026-03-08", 120), repeated),
                Some(expected)
            );
        }
        assert_eq!(
            resolve(ny, local("2026-03-08", 180), Repeated::Earliest),
            Some(expected)
        );
    }

    #[test]
    fn overlap_picks_the_requested_occurrence() {
        let ny = chrono_tz::America::New_York;
        // 2026-11-01 01:30 happens at 05:30Z (EDT) and again at 06:30Z (EST).
        assert_eq!(
            resolve(ny, local("2026-11-01", 90), Repeated::Earliest),
            Some(at("2026-11-01T05:30:00Z"))
        );
        assert_eq!(
            resolve(ny, local("2026-11-01", 90), Repeated::Latest),
            Some(at("2026-11-01T06:30:00Z"))
        );
    }

    #[test]
    fn twenty_four_hundred_is_next_midnight() {
        assert_eq!(local("2026-12-31", 1440), local("2027-01-01", 0));
    }
}
