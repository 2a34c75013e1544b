//! Validated text newtypes: a value of these types is always valid.

use serde::Serialize;

use crate::error::FieldError;

fn checked(field: &str, raw: &str, max: usize, required: bool) -> Result<String, FieldError> {
    let text = raw.trim();
    if required && text.is_empty() {
        return Err(FieldError::new(field, "required", "must not be empty"));
    }
    if text.chars().count() > max {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("must be at most {max} characters"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(FieldError::new(
            field,
            "invalid",
            "must not contain control characters",
        ));
    }
    Ok(text.to_owned())
}

macro_rules! text_type {
    ($(#[$meta:meta])* $name:ident, max = $max:expr, required = $req:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The longest accepted text, in characters.
            pub const MAX: usize = $max;

            /// Validates `raw` (trimmed) for the field named `field`.
            ///
            /// # Errors
            /// A [`FieldError`] naming `field` when the text is empty (if required), too long,
            /// or holds control characters.
            pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
                checked(field, raw, $max, $req).map(Self)
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The text, owned.
            pub fn into_string(self) -> String {
                self.0
            }
        }
    };
}

text_type!(
    /// A ticket title: 1–200 characters on one line.
    Title, max = 200, required = true
);
text_type!(
    /// A description, comment body or note: 1–20,000 characters.
    Body, max = 20_000, required = true
);
text_type!(
    /// A category path such as `hardware/laptop`: up to 100 characters, may be empty.
    Category, max = 100, required = false
);
text_type!(
    /// A resolution code such as `fixed`, `workaround`, `duplicate`: 1–64 characters.
    ResolutionCode, max = 64, required = true
);

impl Title {
    /// Like [`Title::parse`], and also rejects line breaks.
    ///
    /// # Errors
    /// As [`Title::parse`], plus `invalid` for a multi-line title.
    pub fn parse_line(field: &str, raw: &str) -> Result<Self, FieldError> {
        let title = Self::parse(field, raw)?;
        if title.0.contains(['\n', '\r']) {
            return Err(FieldError::new(field, "invalid", "must be a single line"));
        }
        Ok(title)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_and_bounds() {
        assert_eq!(
            Title::parse("title", "  Printer jam ").unwrap().as_str(),
            "Printer jam"
        );
        assert_eq!(Title::parse("title", "   ").unwrap_err().code, "required");
        assert_eq!(
            Title::parse("title", &"x".repeat(201)).unwrap_err().code,
            "too_long"
        );
        assert!(
            Title::parse("title", &"é".repeat(200)).is_ok(),
            "limit counts characters"
        );
        assert_eq!(
            Title::parse_line("title", "a\nb").unwrap_err().code,
            "invalid"
        );
        assert_eq!(Body::parse("body", "a\u{0}b").unwrap_err().code, "invalid");
        assert_eq!(Category::parse("category", "").unwrap().as_str(), "");
    }
}
