//! The OpenAPI schemas of the text fields whose rules the core enforces, built from the
//! core's own limits so the document and the server agree (generated clients and fuzzers
//! then send what the server accepts).
//!
//! Patterns use the syntax JSON Schema and Python share. "Control characters" are Unicode's
//! Cc category (U+0000–U+001F, U+007F–U+009F), what Rust's `char::is_control` rejects;
//! "blank" is Unicode White_Space, what `str::trim` removes.

use servicedesk_core::entities::{Body, Category, ResolutionCode, Title};
use servicedesk_core::identity::{
    MAX_AUDIT_CURSOR_DIGITS, MAX_AUDIT_FILTER, MAX_AUDIT_TARGET_ID, MAX_EMAIL, MAX_NAME,
    MAX_PASSWORD, MIN_PASSWORD,
};
use servicedesk_core::notify::{PREFERENCE_EVENTS, WEBHOOK_EVENTS};
use servicedesk_core::rbac::Permission;
use utoipa::openapi::schema::{
    ArrayBuilder, KnownFormat, ObjectBuilder, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{Object, Schema};

/// One line (tabs allowed, no other control character), not blank: a title.
pub const LINE: &str =
    r"^[^\x00-\x08\x0a-\x1f\x7f-\x9f]*[^\x00-\x1f\x7f-\x9f\s][^\x00-\x08\x0a-\x1f\x7f-\x9f]*$";
/// One line without any control character, not blank: a name.
pub const NAME_LINE: &str =
    r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x1f\x7f-\x9f\s][^\x00-\x1f\x7f-\x9f]*$";
/// Text that may hold tabs and line breaks but no other control character, not blank.
pub const TEXT: &str = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\x00-\x1f\x7f-\x9f\s][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$";
/// Like [`TEXT`], and may be empty.
pub const OPTIONAL_TEXT: &str = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$";
/// A plausible address, exactly the server's rule: blanks around it are trimmed; one `@`;
/// a local part and a domain without blanks or control characters; the domain holds a dot
/// but neither starts nor ends with one (the verification mail proves the rest).
pub const EMAIL: &str = r"^\s*[^@\s\x00-\x1f\x7f-\x9f]+@[^@.\s\x00-\x1f\x7f-\x9f][^@\s\x00-\x1f\x7f-\x9f]*\.[^@\s\x00-\x1f\x7f-\x9f]*[^@.\s\x00-\x1f\x7f-\x9f]\s*$";
/// A hyphenated UUID, as every id in this API.
pub const UUID: &str =
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";
/// A webhook URL (printable ASCII, a host of letters, digits, dots and dashes, an optional
/// port, then anything printable).
pub const WEBHOOK_URL: &str = r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?([/?#][!-~]*)?$";
/// An RFC 3339 instant (`format: date-time` alone would allow any string).
pub const DATE_TIME: &str = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$";
/// Like [`DATE_TIME`] within the years 1900–2199.
pub const CALENDAR_INSTANT: &str = r"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]([Zz]|[+-]0[0-9]:00)$";
/// A calendar date, `YYYY-MM-DD` (`format: date` alone would allow any string); whether
/// the day exists in its month is the server's check.
pub const DATE: &str = r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$";
/// A custom role's name.
pub const ROLE_NAME: &str = r"^[a-z0-9_-]+$";
/// Text without any control character, not empty (blanks allowed): an audit filter.
pub const NO_CONTROL: &str = r"^[^\x00-\x1f\x7f-\x9f]+$";
/// An audit cursor: a positive sequence number, no leading zero, at most
/// [`MAX_AUDIT_CURSOR_DIGITS`] digits.
pub const AUDIT_CURSOR: &str = r"^[1-9][0-9]{0,17}$";

fn string(pattern: Option<&str>, min: Option<usize>, max: usize, nullable: bool) -> Schema {
    let ty = if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::new(Type::String)
    };
    let object: Object = ObjectBuilder::new()
        .schema_type(ty)
        .pattern(pattern)
        .min_length(min)
        .max_length(Some(max))
        .build();
    Schema::Object(object)
}

/// A ticket title: one line, 1–200 characters.
pub fn title() -> Schema {
    string(Some(LINE), Some(1), Title::MAX, false)
}
/// An optional title (PATCH).
pub fn title_opt() -> Schema {
    string(Some(LINE), Some(1), Title::MAX, true)
}
/// A description, comment or note.
pub fn body() -> Schema {
    string(Some(TEXT), Some(1), Body::MAX, false)
}
/// An optional description (PATCH).
pub fn body_opt() -> Schema {
    string(Some(TEXT), Some(1), Body::MAX, true)
}
/// A category path, may be empty.
pub fn category_opt() -> Schema {
    string(Some(OPTIONAL_TEXT), None, Category::MAX, true)
}
/// A resolution code.
pub fn resolution_code_opt() -> Schema {
    string(Some(TEXT), Some(1), ResolutionCode::MAX, true)
}
/// Resolution notes.
pub fn notes_opt() -> Schema {
    string(Some(TEXT), Some(1), Body::MAX, true)
}
/// A display name (user, team, organization).
pub fn name() -> Schema {
    string(Some(NAME_LINE), Some(1), MAX_NAME, false)
}
/// An optional display name (PATCH).
pub fn name_opt() -> Schema {
    string(Some(NAME_LINE), Some(1), MAX_NAME, true)
}
/// An e-mail address.
pub fn email() -> Schema {
    string(Some(EMAIL), Some(3), MAX_EMAIL, false)
}
/// A new password.
pub fn new_password() -> Schema {
    string(None, Some(MIN_PASSWORD), MAX_PASSWORD, false)
}
/// A user's id, or `null` to clear the reference (PATCH).
pub fn user_id_nullable() -> Schema {
    let mut s = string(Some(UUID), Some(36), 36, true);
    if let Schema::Object(o) = &mut s {
        o.format = Some(SchemaFormat::KnownFormat(KnownFormat::Uuid));
    }
    s
}
/// A calendar date, `YYYY-MM-DD`.
pub fn date() -> Schema {
    let mut s = string(Some(DATE), Some(10), 10, false);
    if let Schema::Object(o) = &mut s {
        o.format = Some(SchemaFormat::KnownFormat(KnownFormat::Date));
    }
    s
}
/// A custom role's name.
pub fn role_name() -> Schema {
    string(Some(ROLE_NAME), Some(1), 64, false)
}
/// An `action` or `target_kind` filter of the audit log.
pub fn audit_filter() -> Schema {
    string(Some(NO_CONTROL), Some(1), MAX_AUDIT_FILTER, false)
}
/// A `target_id` filter of the audit log.
pub fn audit_target_id() -> Schema {
    string(Some(NO_CONTROL), Some(1), MAX_AUDIT_TARGET_ID, false)
}
/// The `cursor` of the audit log: the `next_cursor` of the previous page.
pub fn audit_cursor() -> Schema {
    string(Some(AUDIT_CURSOR), Some(1), MAX_AUDIT_CURSOR_DIGITS, false)
}

fn enumeration(values: impl IntoIterator<Item = String>, nullable: bool) -> Schema {
    let mut values: Vec<serde_json::Value> = values.into_iter().map(Into::into).collect();
    let ty = if nullable {
        values.push(serde_json::Value::Null);
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::new(Type::String)
    };
    Schema::Object(
        ObjectBuilder::new()
            .schema_type(ty)
            .enum_values(Some(values))
            .build(),
    )
}

fn array_of(items: Schema, min: Option<usize>, nullable: bool) -> Schema {
    let mut array = ArrayBuilder::new()
        .items(utoipa::openapi::RefOr::T(items))
        .min_items(min);
    if nullable {
        array = array.schema_type(SchemaType::from_iter([Type::Array, Type::Null]));
    }
    Schema::Array(array.build())
}

fn zones() -> impl Iterator<Item = String> {
    chrono_tz::TZ_VARIANTS.iter().map(|z| z.name().to_owned())
}

/// An IANA time zone name, e.g. `Europe/Berlin`.
pub fn time_zone() -> Schema {
    enumeration(zones(), false)
}
/// An optional time zone (PATCH).
pub fn time_zone_opt() -> Schema {
    enumeration(zones(), true)
}
/// An event type a user can choose channels for.
pub fn preference_event() -> Schema {
    enumeration(PREFERENCE_EVENTS.iter().map(|e| (*e).to_owned()), false)
}
fn webhook_event() -> Schema {
    let all = std::iter::once("*".to_owned());
    enumeration(
        all.chain(WEBHOOK_EVENTS.iter().map(|e| (*e).to_owned())),
        false,
    )
}
/// The event types a webhook subscribes to (`*`: all), at least one.
pub fn webhook_events() -> Schema {
    array_of(webhook_event(), Some(1), false)
}
/// Optional webhook event types (PATCH).
pub fn webhook_events_opt() -> Schema {
    array_of(webhook_event(), Some(1), true)
}
/// A webhook URL: absolute `http://` or `https://` with a host (printable ASCII). Which
/// hosts are allowed is the operator's policy, checked by the server.
pub fn webhook_url() -> Schema {
    string(Some(WEBHOOK_URL), Some(8), 2000, false)
}
/// An optional webhook URL (PATCH).
pub fn webhook_url_opt() -> Schema {
    string(Some(WEBHOOK_URL), Some(8), 2000, true)
}
/// A webhook signing secret, 16–256 characters.
pub fn webhook_secret_opt() -> Schema {
    string(None, Some(16), 256, true)
}
/// An RFC 3339 instant within the years the calendar math takes (1900–2199).
pub fn calendar_instant() -> Schema {
    let mut s = string(Some(CALENDAR_INSTANT), Some(20), 40, false);
    if let Schema::Object(o) = &mut s {
        o.format = Some(SchemaFormat::KnownFormat(KnownFormat::DateTime));
    }
    s
}
/// A user's role: a built-in role (the server also takes the organization's custom roles,
/// which are data, not schema).
pub fn builtin_role() -> Schema {
    enumeration(
        ["admin", "manager", "agent", "requester"].map(str::to_owned),
        false,
    )
}
/// An optional role (PATCH).
pub fn builtin_role_opt() -> Schema {
    enumeration(
        ["admin", "manager", "agent", "requester"].map(str::to_owned),
        true,
    )
}
/// A webhook body format.
pub fn webhook_format_opt() -> Schema {
    enumeration(["json", "slack", "teams"].map(str::to_owned), true)
}
/// A permission, `resource:action`.
pub fn permission() -> Schema {
    enumeration(Permission::all().iter().map(ToString::to_string), false)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use regex::Regex;
    use servicedesk_core::entities::{Body, Category, Title};

    fn texts() -> impl Strategy<Value = String> {
        let c = prop_oneof![
            4 => any::<char>(),
            2 => prop::sample::select(vec!['a', 'é', ' ', '\t', '\n', '\r', '\u{0}', '\u{7f}',
                '\u{85}', '\u{a0}', '\u{3000}', '\u{2028}', '\u{1f}', '\u{9f}']),
        ];
        prop::collection::vec(c, 0..12).prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        /// Whatever the single-line pattern allows the core accepts as a title.
        #[test]
        fn line_pattern_is_the_title_rule(text in texts()) {
            let schema_ok = Regex::new(super::LINE).unwrap().is_match(&text);
            let core_ok = Title::parse_line("title", &text).is_ok();
            prop_assert!(!schema_ok || core_ok, "schema allows {:?}, the core refuses it", text);
            // The core trims first, so it also takes control characters that are blank at
            // either end; on trimmed text the two agree exactly.
            prop_assert!(text != text.trim() || schema_ok == core_ok, "{:?}", text);
        }

        /// Whatever the text pattern allows the core accepts as a body.
        #[test]
        fn text_pattern_is_the_body_rule(text in texts()) {
            let schema_ok = Regex::new(super::TEXT).unwrap().is_match(&text);
            let core_ok = Body::parse("body", &text).is_ok();
            prop_assert!(!schema_ok || core_ok, "schema allows {:?}, the core refuses it", text);
            // The core trims first, so it also takes control characters that are blank at
            // either end; on trimmed text the two agree exactly.
            prop_assert!(text != text.trim() || schema_ok == core_ok, "{:?}", text);
        }

        /// Whatever the optional-text pattern allows the core accepts as a category.
        #[test]
        fn optional_text_pattern_is_the_category_rule(text in texts()) {
            let schema_ok = Regex::new(super::OPTIONAL_TEXT).unwrap().is_match(&text);
            let core_ok = Category::parse("category", &text).is_ok();
            prop_assert!(!schema_ok || core_ok, "schema allows {:?}, the core refuses it", text);
            // The core trims first, so it also takes control characters that are blank at
            // either end; on trimmed text the two agree exactly.
            prop_assert!(text != text.trim() || schema_ok == core_ok, "{:?}", text);
        }
    }

    #[test]
    fn audit_cursor_pattern_takes_what_the_server_issues() {
        let re = Regex::new(super::AUDIT_CURSOR).unwrap();
        for ok in ["1", "42", "999999999999999999"] {
            assert!(re.is_match(ok), "{ok}");
        }
        for bad in [
            "",
            "0",
            "01",
            "-1",
            "+1",
            " 1",
            "1.0",
            "1234567890123456789",
        ] {
            assert!(!re.is_match(bad), "{bad}");
        }
        assert_eq!(
            "999999999999999999".len(),
            servicedesk_core::identity::MAX_AUDIT_CURSOR_DIGITS
        );
    }

    #[test]
    fn date_pattern_is_the_server_rule_on_samples() {
        let re = Regex::new(super::DATE).unwrap();
        for ok in ["2026-12-31", "0001-01-01", "9999-12-31", "2027-02-28"] {
            assert!(re.is_match(ok), "{ok}");
            assert!(crate::dto::parse_date("d", ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "2026-1-05",
            "2026-13-01",
            "2026-00-10",
            "2026-01-32",
            "+2026-01-01",
            "20260101",
            "2026-01-01T00:00:00Z",
            " 2026-01-01",
            "12026-01-01",
        ] {
            assert!(!re.is_match(bad), "{bad}");
            assert!(crate::dto::parse_date("d", bad).is_err(), "{bad}");
        }
        // The pattern cannot know month lengths; the server refuses those days.
        for impossible in ["2026-02-30", "2027-02-29", "2026-04-31"] {
            assert!(re.is_match(impossible));
            assert!(
                crate::dto::parse_date("d", impossible).is_err(),
                "{impossible}"
            );
        }
    }

    #[test]
    fn no_control_pattern_is_char_is_control() {
        let re = Regex::new(super::NO_CONTROL).unwrap();
        for c in ['\u{0}', '\u{1f}', '\u{7f}', '\u{85}', '\u{9f}', '\n', '\t'] {
            assert!(c.is_control() && !re.is_match(&format!("a{c}b")), "{c:?}");
        }
        for ok in ["user.update", "a b", "\u{a0}", "é"] {
            assert!(re.is_match(ok), "{ok:?}");
        }
        assert!(!re.is_match(""));
    }

    #[test]
    fn email_pattern_is_the_server_rule_on_samples() {
        let re = Regex::new(super::EMAIL).unwrap();
        for ok in [
            "ann@example.org",
            "a.b+c@x-y.example.com",
            " ann@example.org\t",
            "ünï@exämple.org",
            "a@*.org",
            "a@b..c",
        ] {
            assert!(re.is_match(ok), "{ok}");
        }
        for bad in [
            "",
            "ann",
            "ann@",
            "@x.org",
            "ann@x",
            "a b@x.org",
            "ann@x.org.",
            "a@@x.org",
        ] {
            assert!(!re.is_match(bad), "{bad}");
        }
    }
}
