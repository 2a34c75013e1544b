//! Cookie sessions on the API's session store: signing in sets two HttpOnly, SameSite=Lax
//! cookies — the short-lived access token and the refresh token of the same login session
//! — and the middleware renews them with the refresh token when the access token has run
//! out, so a console session lives and ends exactly as an API session does (logout,
//! deactivation, a role change and the absolute lifetime all apply). Scripts never see a
//! token. Every form carries a CSRF token derived from the login session (or, before
//! sign-in, from a random per-browser cookie) with a key that never leaves the server.

use std::future::{Ready, ready};

use actix_web::body::MessageBody;
use actix_web::cookie::{Cookie, SameSite, time::Duration as CookieDuration};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use base64::Engine;
use hmac::{Hmac, Mac};
use servicedesk_core::actor::Actor;
use servicedesk_core::identity::TokenPair;
use servicedesk_core::ports::Claims;
use sha2::Sha256;

use crate::Console;
use crate::error::WebError;

/// The access token's cookie.
pub(crate) const ACCESS: &str = "sd_at";
/// The refresh token's cookie.
pub(crate) const REFRESH: &str = "sd_rt";
/// The anonymous CSRF seed's cookie (forms before sign-in).
pub(crate) const SEED: &str = "sd_cs";

/// The signed-in person of a request.
#[derive(Clone)]
pub(crate) struct SignedIn {
    /// Who acts.
    pub actor: Actor,
    /// The access token's claims (logout revokes its session).
    pub claims: Claims,
    /// The CSRF token for this session's forms.
    pub csrf: String,
}

/// What the middleware learned about the visitor.
#[derive(Clone)]
pub(crate) enum Visitor {
    /// Signed in.
    Member(Box<SignedIn>),
    /// Not signed in; `csrf` is the token for the anonymous forms.
    Anonymous { csrf: String },
}

/// Cookies to set (or clear) on the response.
#[derive(Default)]
struct CookieJar(Vec<Cookie<'static>>);

fn mac(console: &Console, purpose: &str, value: &str) -> String {
    // A 32-byte key is valid for HMAC-SHA256; this cannot fail.
    let mut m = match Hmac::<Sha256>::new_from_slice(&console.settings.csrf_key) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    m.update(purpose.as_bytes());
    m.update(b":");
    m.update(value.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(m.finalize().into_bytes())
}

/// The CSRF token of a login session.
pub(crate) fn session_csrf(console: &Console, claims: &Claims) -> String {
    mac(
        console,
        "session",
        claims.session_id.as_deref().unwrap_or(&claims.jti),
    )
}

/// A cookie's name: behind https with the `__Host-` prefix, which browsers honour only
/// from a secure origin, on path `/` and without a domain — so a sibling subdomain cannot
/// plant a session or a CSRF seed for the console (cookie tossing).
pub(crate) fn cookie_name(secure: bool, base: &str) -> String {
    if secure {
        format!("__Host-{base}")
    } else {
        base.to_owned()
    }
}

fn named(console: &Console, base: &str) -> String {
    cookie_name(console.settings.secure_cookies(), base)
}

/// The CSRF seed as this console makes them: 32 lowercase hex digits. Anything else
/// (planted, truncated, huge) is replaced rather than trusted.
fn is_seed(value: &str) -> bool {
    value.len() == 32
        && value
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn cookie(console: &Console, name: &'static str, value: String, max_age: i64) -> Cookie<'static> {
    Cookie::build(named(console, name), value)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(console.settings.secure_cookies())
        .max_age(CookieDuration::seconds(max_age))
        .finish()
}

/// The cookies of a fresh token pair (sign-in, MFA, renewal).
pub(crate) fn session_cookies(console: &Console, pair: &TokenPair) -> [Cookie<'static>; 2] {
    let lifetime = console
        .auth
        .settings()
        .session_lifetime
        .num_seconds()
        .max(60);
    [
        cookie(console, ACCESS, pair.access_token.clone(), pair.expires_in),
        cookie(console, REFRESH, pair.refresh_token.clone(), lifetime),
    ]
}

/// Cookies that end the session in this browser.
pub(crate) fn cleared(console: &Console) -> [Cookie<'static>; 2] {
    [
        cookie(console, ACCESS, String::new(), 0),
        cookie(console, REFRESH, String::new(), 0),
    ]
}

async fn resolve(
    console: &Console,
    req: &HttpRequest,
    jar: &mut CookieJar,
) -> Result<Visitor, WebError> {
    let access = req
        .cookie(&named(console, ACCESS))
        .map(|c| c.value().to_owned());
    let refresh = req
        .cookie(&named(console, REFRESH))
        .map(|c| c.value().to_owned());
    if let Some(token) = access {
        let auth = console.auth.clone();
        match web::block(move || auth.authenticate(&token)).await {
            Ok(Ok((actor, claims))) => {
                let csrf = session_csrf(console, &claims);
                return Ok(Visitor::Member(Box::new(SignedIn {
                    actor,
                    claims,
                    csrf,
                })));
            }
            Ok(Err(e @ servicedesk_core::Error::Unavailable { .. })) => return Err(e.into()),
            _ => {}
        }
    }
    if let Some(token) = refresh {
        let auth = console.auth.clone();
        let renewed = web::block(move || {
            let pair = auth.refresh(&token)?;
            let (actor, claims) = auth.authenticate(&pair.access_token)?;
            Ok::<_, servicedesk_core::Error>((pair, actor, claims))
        })
        .await;
        match renewed {
            Ok(Ok((pair, actor, claims))) => {
                jar.0.extend(session_cookies(console, &pair));
                let csrf = session_csrf(console, &claims);
                return Ok(Visitor::Member(Box::new(SignedIn {
                    actor,
                    claims,
                    csrf,
                })));
            }
            // The database cannot tell now: keep the cookies, answer 503.
            Ok(Err(e @ servicedesk_core::Error::Unavailable { .. })) => return Err(e.into()),
            _ => jar.0.extend(cleared(console)),
        }
    }
    let seed = match req.cookie(&named(console, SEED)) {
        Some(c) if is_seed(c.value()) => c.value().to_owned(),
        _ => {
            let seed = uuid::Uuid::new_v4().simple().to_string();
            jar.0.push(cookie(console, SEED, seed.clone(), 30 * 86_400));
            seed
        }
    };
    Ok(Visitor::Anonymous {
        csrf: mac(console, "anonymous", &seed),
    })
}

/// Resolves the visitor of every console request (renewing the session's cookies when
/// the access token ran out), and sets the security headers every page carries.
pub(crate) async fn session_middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let Some(console) = req.app_data::<web::Data<Console>>().cloned() else {
        return Err(actix_web::error::ErrorInternalServerError(
            "console not configured",
        ));
    };
    let mut jar = CookieJar::default();
    // A session the database cannot check now (it is unreachable) answers 503 and keeps
    // its cookies: an outage must not sign everyone out.
    let visitor = resolve(&console, req.request(), &mut jar).await;
    // Per person once signed in (however many tabs or devices), per client before.
    let refused = match &visitor {
        Ok(visitor) => console.settings.rate_limit.as_ref().and_then(|check| {
            let key = match visitor {
                Visitor::Member(s) => format!("user:{}", s.actor.user_id()),
                Visitor::Anonymous { .. } => {
                    format!("ip:{}", (console.settings.client_ip)(req.request()))
                }
            };
            check(key).err().map(WebError::RateLimited)
        }),
        Err(_) => None,
    };
    // A refused request still gets the renewed cookies below: the refresh token it
    // rotated is the browser's only valid one now.
    let mut res = match (visitor, refused) {
        (Err(refusal), _) | (Ok(_), Some(refusal)) => {
            let page = actix_web::ResponseError::error_response(&refusal);
            req.into_response(page).map_into_right_body()
        }
        (Ok(visitor), None) => {
            req.extensions_mut().insert(visitor);
            next.call(req).await?.map_into_left_body()
        }
    };
    // A cookie the handler set (sign-in, sign-out) wins over the middleware's renewal.
    let set_by_handler: Vec<String> = res
        .headers()
        .get_all(header::SET_COOKIE)
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split('=').next().map(str::to_owned))
        .collect();
    for c in jar.0 {
        if set_by_handler.iter().any(|n| n == c.name()) {
            continue;
        }
        if let Ok(v) = header::HeaderValue::from_str(&c.to_string()) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; \
             object-src 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        header::HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        header::HeaderValue::from_static("DENY"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(
            header::CACHE_CONTROL,
            header::HeaderValue::from_static("no-store"),
        );
    }
    Ok(res)
}

/// The visitor, whoever it is.
impl FromRequest for Visitor {
    type Error = WebError;
    type Future = Ready<Result<Self, WebError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(
            req.extensions()
                .get::<Visitor>()
                .cloned()
                .ok_or(WebError::Internal),
        )
    }
}

/// A signed-in person; anyone else is sent to the sign-in page (and back afterwards).
impl FromRequest for SignedIn {
    type Error = WebError;
    type Future = Ready<Result<Self, WebError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.extensions().get::<Visitor>() {
            Some(Visitor::Member(m)) => Ok((**m).clone()),
            Some(Visitor::Anonymous { .. }) => Err(WebError::SignIn {
                next: req
                    .uri()
                    .path_and_query()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_else(|| "/".into()),
            }),
            None => Err(WebError::Internal),
        })
    }
}

impl Visitor {
    /// The CSRF token the visitor's forms must carry.
    pub(crate) fn csrf(&self) -> &str {
        match self {
            Visitor::Member(m) => &m.csrf,
            Visitor::Anonymous { csrf } => csrf,
        }
    }
}

/// Checks a submitted CSRF token against the visitor's (constant time).
///
/// # Errors
/// `WebError::Csrf` when it is missing or wrong: nothing is done.
pub(crate) fn check_csrf(visitor_csrf: &str, submitted: Option<&str>) -> Result<(), WebError> {
    let Some(given) = submitted else {
        return Err(WebError::Csrf);
    };
    let (a, b) = (given.as_bytes(), visitor_csrf.as_bytes());
    if a.len() != b.len() || visitor_csrf.is_empty() {
        return Err(WebError::Csrf);
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    if diff == 0 {
        Ok(())
    } else {
        Err(WebError::Csrf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_must_match_exactly() {
        assert!(check_csrf("abc", Some("abc")).is_ok());
        assert!(check_csrf("abc", Some("abd")).is_err());
        assert!(check_csrf("abc", Some("ab")).is_err());
        assert!(check_csrf("abc", None).is_err());
        assert!(check_csrf("", Some("")).is_err());
    }

    #[test]
    fn cookies_carry_the_host_prefix_behind_https_only() {
        assert_eq!(cookie_name(true, ACCESS), "__Host-sd_at");
        assert_eq!(cookie_name(false, ACCESS), "sd_at");
        assert_eq!(
            crate::access_cookie("https://desk.example.org"),
            "__Host-sd_at"
        );
        assert_eq!(crate::access_cookie("http://localhost:8080"), "sd_at");
    }

    #[test]
    fn only_seeds_of_our_own_shape_are_kept() {
        assert!(is_seed(&uuid::Uuid::new_v4().simple().to_string()));
        assert!(!is_seed("0123456789abcdef"), "too short");
        assert!(!is_seed(&"a".repeat(33)));
        assert!(!is_seed("0123456789ABCDEF0123456789abcdef"), "upper case");
        assert!(!is_seed("0123456789abcdef0123456789abcde;"));
    }
}
