//! The console's CSS and JavaScript: files in the crate, embedded in the binary, served
//! under names carrying a hash of their content (`/assets/app.3f9c0a1b2c.css`) so browsers
//! may keep them for a year and a new build is fetched at once.

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, get, web};
use sha2::{Digest, Sha256};

/// One embedded file.
pub(crate) struct Asset {
    /// The name pages link to (with the content hash).
    pub name: String,
    content_type: &'static str,
    body: &'static [u8],
}

fn hashed(stem: &str, ext: &str, content_type: &'static str, body: &'static [u8]) -> Asset {
    let digest = Sha256::digest(body);
    let hash: String = digest.iter().take(5).map(|b| format!("{b:02x}")).collect();
    Asset {
        name: format!("{stem}.{hash}.{ext}"),
        content_type,
        body,
    }
}

/// Every asset, hashed once at first use.
pub(crate) static ASSETS: LazyLock<[Asset; 2]> = LazyLock::new(|| {
    [
        hashed(
            "app",
            "css",
            "text/css; charset=utf-8",
            include_bytes!("../assets/app.css"),
        ),
        hashed(
            "app",
            "js",
            "text/javascript; charset=utf-8",
            include_bytes!("../assets/app.js"),
        ),
    ]
});

/// The hashed name of the stylesheet.
pub(crate) fn css() -> &'static str {
    &ASSETS[0].name
}

/// The hashed name of the script.
pub(crate) fn js() -> &'static str {
    &ASSETS[1].name
}

/// `GET /assets/{name}`: an embedded file under its current hashed name; anything else
/// (an old hash included) is 404, so a stale page never runs mismatched code.
#[get("/assets/{name}")]
pub(crate) async fn asset(name: web::Path<String>) -> HttpResponse {
    match ASSETS.iter().find(|a| a.name == *name) {
        Some(a) => HttpResponse::Ok()
            .insert_header((header::CONTENT_TYPE, a.content_type))
            .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .body(a.body),
        None => HttpResponse::NotFound()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .finish(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stylesheet_has_balanced_blocks() {
        // An unclosed `@media {` turns every later rule into a phone-only rule: the pages
        // still render, only wrongly, so nothing else would notice.
        let css = include_str!("../assets/app.css");
        let mut depth = 0i32;
        let mut in_comment = false;
        let bytes = css.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if in_comment {
                if bytes[i..].starts_with(b"*/") {
                    in_comment = false;
                    i += 1;
                }
            } else if bytes[i..].starts_with(b"/*") {
                in_comment = true;
                i += 1;
            } else if bytes[i] == b'{' {
                depth += 1;
            } else if bytes[i] == b'}' {
                depth -= 1;
                assert!(depth >= 0, "a closing brace too many near byte {i}");
            }
            // A media block opens at the top level only.
            if depth > 0 && !in_comment && bytes[i..].starts_with(b"@media") {
                let line = css[..i].lines().count() + 1;
                panic!("@media nested in an open block at line {line}");
            }
            i += 1;
        }
        assert_eq!(depth, 0, "an unclosed block in app.css");
        assert!(!in_comment, "an unclosed comment in app.css");
    }

    #[test]
    fn names_carry_the_content_hash() {
        assert!(css().starts_with("app.") && css().ends_with(".css"));
        assert!(js().starts_with("app.") && js().ends_with(".js"));
        assert_eq!(css().len(), "app.".len() + 10 + ".css".len());
        assert_ne!(css(), "app.css");
    }
}
