//! Text rules shared by the catalog and approval definitions (labels, names, keys).

use crate::error::FieldError;

/// Whether `c` may appear in single-line text: no control characters at all.
fn line_char(c: char) -> bool {
    !c.is_control()
}

/// Whether `c` may appear in multi-line text: line breaks and tabs, no other controls.
fn block_char(c: char) -> bool {
    !c.is_control() || matches!(c, '\n' | '\r' | '\t')
}

/// Checks a single-line text of `min..=max` characters (counted after trimming, so a
/// blank label is empty). Returns the trimmed text.
pub(crate) fn line(field: &str, raw: &str, min: usize, max: usize) -> Result<String, FieldError> {
    checked(field, raw, min, max, line_char)
}

/// Checks a multi-line text of `min..=max` characters. Returns the trimmed text.
pub(crate) fn block(field: &str, raw: &str, min: usize, max: usize) -> Result<String, FieldError> {
    checked(field, raw, min, max, block_char)
}

fn checked(
    field: &str,
    raw: &str,
    min: usize,
    max: usize,
    allowed: fn(char) -> bool,
) -> Result<String, FieldError> {
    let text = raw.trim();
    let len = text.chars().count();
    if len == 0 && min > 0 {
        return Err(FieldError::new(field, "required", "must not be empty"));
    }
    if len < min {
        return Err(FieldError::new(
            field,
            "too_short",
            format!("must be at least {min} characters"),
        ));
    }
    if len > max {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("must be at most {max} characters"),
        ));
    }
    if !text.chars().all(allowed) {
        return Err(FieldError::new(
            field,
            "invalid",
            "must not contain control characters",
        ));
    }
    Ok(text.to_owned())
}

/// Checks a machine key: `a-z`, `0-9` and `_`, 1..=`max` characters, taken as written
/// (a key is an identifier, so it is not trimmed or case-folded).
pub(crate) fn slug(field: &str, raw: &str, max: usize) -> Result<(), FieldError> {
    if raw.is_empty() {
        return Err(FieldError::new(field, "required", "must not be empty"));
    }
    if raw.len() > max {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("must be at most {max} characters"),
        ));
    }
    if !raw
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(FieldError::new(
            field,
            "invalid",
            "must use only a-z, 0-9 and _",
        ));
    }
    Ok(())
}

/// The shape of an e-mail address, lower-cased: the one rule of account e-mail addresses
/// (`identity::validate::email`). Deliverability is not checked here.
pub(crate) fn email(field: &str, raw: &str) -> Result<String, FieldError> {
    crate::identity::validate::email(field, raw)
}
