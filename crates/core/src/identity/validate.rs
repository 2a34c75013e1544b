//! Input rules for accounts: e-mail addresses, names, passwords.

use crate::error::FieldError;

/// Shortest password accepted (NIST SP 800-63B asks for at least 8; we ask for 10).
pub const MIN_PASSWORD: usize = 10;
/// Longest password accepted (argon2 cost grows with length; 128 is plenty for passphrases).
pub const MAX_PASSWORD: usize = 128;
/// Longest display name (organizations, users, teams), in characters.
pub const MAX_NAME: usize = 100;
/// Longest e-mail address, in characters (RFC 5321's path limit is 254 octets; counting
/// characters keeps the rule the one the OpenAPI document can state).
pub const MAX_EMAIL: usize = 254;

/// A syntactically plausible address, lower-cased. Deliverability is proven by the
/// verification mail, not by a regex.
pub(crate) fn email(field: &str, raw: &str) -> Result<String, FieldError> {
    let email = raw.trim().to_lowercase();
    let invalid = || {
        FieldError::new(
            field,
            "invalid",
            "must be an e-mail address like name@example.org",
        )
    };
    if email.is_empty() {
        return Err(FieldError::new(field, "required", "must not be empty"));
    }
    if email.chars().count() > MAX_EMAIL
        || email.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(invalid());
    }
    let (local, domain) = email.rsplit_once('@').ok_or_else(invalid)?;
    if local.is_empty()
        || local.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
    {
        return Err(invalid());
    }
    Ok(email)
}

/// A display name: 1–100 characters.
pub(crate) fn name(field: &str, raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(FieldError::new(field, "required", "must not be empty"));
    }
    if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "invalid",
            "must be at most 100 printable characters",
        ));
    }
    Ok(name.to_owned())
}

/// A new password: length bounds, and not the e-mail address.
pub(crate) fn password(field: &str, raw: &str, email: &str) -> Result<(), FieldError> {
    let n = raw.chars().count();
    if n < MIN_PASSWORD {
        return Err(FieldError::new(
            field,
            "too_short",
            format!("must be at least {MIN_PASSWORD} characters"),
        ));
    }
    if n > MAX_PASSWORD {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("must be at most {MAX_PASSWORD} characters"),
        ));
    }
    if !email.is_empty() && raw.eq_ignore_ascii_case(email) {
        return Err(FieldError::new(
            field,
            "weak",
            "must not be the e-mail address",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            email("email", " Ann@Example.ORG ").unwrap(),
            "ann@example.org"
        );
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
            assert!(email("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords() {
        assert_eq!(password("p", "short", "").unwrap_err().code, "too_short");
        assert_eq!(
            password("p", &"x".repeat(129), "").unwrap_err().code,
            "too_long"
        );
        assert_eq!(
            password("p", "ann@example.org", "ann@example.org")
                .unwrap_err()
                .code,
            "weak"
        );
        assert!(password("p", "correct horse battery", "ann@example.org").is_ok());
    }
}
