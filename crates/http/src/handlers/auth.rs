//! `/auth/*` (AUTH-1..7).

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use servicedesk_core::identity::{LoginOutcome, TokenPair};

use crate::AppState;
use crate::dto::*;
use crate::extract::{ApiJson, AuthUser, client_ip};
use crate::handlers::block;
use crate::problem::{ApiError, ApiResult, Problem};

fn tokens(pair: TokenPair) -> TokenResponse {
    TokenResponse {
        access_token: pair.access_token,
        refresh_token: pair.refresh_token,
        token_type: "Bearer",
        expires_in: pair.expires_in,
    }
}

/// Sign in with e-mail and password.
#[utoipa::path(context_path = "/api/v1/auth", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, description = "Signed in, or MFA required", body = TokenResponse),
    (status = 401, description = "Bad credentials", body = Problem),
    (status = 403, description = "Address not verified", body = Problem),
    (status = 422, body = Problem),
    (status = 429, description = "Throttled", body = Problem),
    (status = 503, description = "Password hashing is busy; retry after `Retry-After`", body = Problem)))]
#[post("/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ApiJson<LoginRequest>,
) -> ApiResult<HttpResponse> {
    let ip = client_ip(&req);
    let body = body.into_inner();
    let outcome = block(move || state.auth.login(&body.email, &body.password, &ip)).await?;
    Ok(match outcome {
        LoginOutcome::Tokens(pair) => HttpResponse::Ok().json(tokens(pair)),
        LoginOutcome::MfaRequired { mfa_token } => HttpResponse::Ok().json(MfaRequiredResponse {
            mfa_required: true,
            mfa_token,
        }),
    })
}

/// Complete an MFA login with a TOTP or recovery code.
#[utoipa::path(context_path = "/api/v1/auth", tag = "auth", request_body = MfaVerifyRequest, responses(
    (status = 200, body = TokenResponse), (status = 401, body = Problem), (status = 429, body = Problem)))]
#[post("/mfa/verify")]
pub async fn mfa_verify(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ApiJson<MfaVerifyRequest>,
) -> ApiResult<HttpResponse> {
    let ip = client_ip(&req);
    let body = body.into_inner();
    let pair = block(move || state.auth.verify_mfa(&body.mfa_token, &body.code, &ip)).await?;
    Ok(HttpResponse::Ok().json(tokens(pair)))
}

/// Exchange a refresh token (single use; reuse revokes the session).
#[utoipa::path(context_path = "/api/v1/auth", tag = "auth", request_body = RefreshRequest, responses(
    (status = 200, body = TokenResponse), (status = 401, body = Problem)))]
#[post("/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    body: ApiJson<RefreshRequest>,
) -> ApiResult<HttpResponse> {
    let token = body.into_inner().refresh_token;
    let pair = block(move || state.auth.refresh(&token)).await?;
    Ok(HttpResponse::Ok().json(tokens(pair)))
}

/// End the session: the refresh family is revoked and this access token deny-listed.
#[utoipa::path(context_path = "/api/v1/auth", tag = "auth", security(("bearer" = [])), responses(
    (status = 204), (status = 401, body = Problem)))]
#[post("/logout")]
pub async fn logout(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    block(move || state.auth.logout(&user.claims)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Start TOTP enrolment (needs the current password; throttled like sign-in).
#[utoipa::path(context_path = "/api/v1/auth", tag = "auth", security(("bearer" = [])), request_body = PasswordRequest, responses(
    (status = 200, body = MfaEnableResponse), (status = 401, body = Problem),
    (status = 422, description = "Wrong password, or MFA already on", body = Problem),
    (status = 429, body = Problem), (status = 503, body = Problem)))]
#[post("/mfa/enable")]
pub async fn mfa_enable(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    body: ApiJson<PasswordRequest>,
) -> ApiResult<HttpResponse> {
    let ip = client_ip(&req);
    let password = body.into_inner().password;
    let e = block(move || state.auth.enable_mfa(&user.actor, &password, &ip)).await?;
    Ok(HttpResponse::Ok().json(MfaEnableResponse {
        secret: e.secret,
        otpauth_uri: e.otpauth_uri,
    }))
}

/// Activate TOTP with the password and a first code; returns recovery codes.
#[utoipa::path(context_path = "/api/v1/auth", tag = "auth", security(("bearer" = [])), request_body = PasswordCodeRequest, responses(
    (status = 200, body = RecoveryCodesResponse), (status = 401, body = Problem),
    (status = 422, body = Problem), (status = 429, body = Problem), (status = 503, body = Problem)))]
#[post("/mfa/confirm")]
pub async fn mfa_confirm(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    body: ApiJson<PasswordCodeRequest>,
) -> ApiResult<HttpResponse> {
    let ip = client_ip(&req);
    let b = body.into_inner();
    let codes = block(move || {
        state
            .auth
            .confirm_mfa(&user.actor, &b.password, &b.code, &ip)
    })
    .await?;
    Ok(HttpResponse::Ok().json(RecoveryCodesResponse {
        recovery_codes: codes,
    }))
}

/// Turn TOTP off (needs the password and a current or recovery code); the user is mailed.
#[utoipa::path(context_path = "/api/v1/auth", tag = "auth", security(("bearer" = [])), request_body = PasswordCodeRequest, responses(
    (status = 204), (status = 401, body = Problem), (status = 422, body = Problem),
    (status = 429, body = Problem), (status = 503, body = Problem)))]
#[post("/mfa/disable")]
pub async fn mfa_disable(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    body: ApiJson<PasswordCodeRequest>,
) -> ApiResult<HttpResponse> {
    let ip = client_ip(&req);
    let b = body.into_inner();
    block(move || {
        state
            .auth
            .disable_mfa(&user.actor, &b.password, &b.code, &ip)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Replace the recovery codes with ten new ones (needs the password; MFA on).
#[utoipa::path(context_path = "/api/v1/auth", tag = "auth", security(("bearer" = [])), request_body = PasswordRequest, responses(
    (status = 200, body = RecoveryCodesResponse), (status = 401, body = Problem),
    (status = 422, body = Problem), (status = 429, body = Problem), (status = 503, body = Problem)))]
#[post("/mfa/recovery-codes")]
pub async fn mfa_recovery_codes(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: AuthUser,
    body: ApiJson<PasswordRequest>,
) -> ApiResult<HttpResponse> {
    let ip = client_ip(&req);
    let password = body.into_inner().password;
    let codes = block(move || {
        state
            .auth
            .replace_recovery_codes(&user.actor, &password, &ip)
    })
    .await?;
    Ok(HttpResponse::Ok().json(RecoveryCodesResponse {
        recovery_codes: codes,
    }))
}

/// Reset a user's MFA and revoke all their sessions (needs `user:update`; audited; the
/// user is mailed).
#[utoipa::path(context_path = "/api/v1/users", tag = "users", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The user")), responses(
    (status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
    (status = 404, body = Problem)))]
#[post("/{id}/mfa/reset")]
pub async fn reset_user_mfa(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<uuid::Uuid>,
) -> ApiResult<HttpResponse> {
    let target = servicedesk_core::ids::UserId(id.into_inner());
    block(move || state.auth.reset_user_mfa(&user.actor, target)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Whether a user has two-step verification on (administrators: needs `user:update` for
/// the organization).
#[utoipa::path(context_path = "/api/v1/users", tag = "users", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The user")), responses(
    (status = 200, body = MfaStatusDto), (status = 401, body = Problem),
    (status = 403, body = Problem), (status = 404, body = Problem)))]
#[get("/{id}/mfa")]
pub async fn user_mfa_status(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<uuid::Uuid>,
) -> ApiResult<HttpResponse> {
    let target = servicedesk_core::ids::UserId(id.into_inner());
    let status = block(move || state.auth.mfa_status(&user.actor, &[target])).await?;
    match status.first() {
        Some((_, enabled)) => Ok(HttpResponse::Ok().json(MfaStatusDto { enabled: *enabled })),
        None => Err(servicedesk_core::Error::NotFound { entity: "user" }.into()),
    }
}

/// Sign a user out everywhere: every session of theirs is revoked (needs `user:update`
/// reaching the user; audited).
#[utoipa::path(context_path = "/api/v1/users", tag = "users", security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The user")), responses(
    (status = 204), (status = 401, body = Problem), (status = 403, body = Problem),
    (status = 404, body = Problem)))]
#[post("/{id}/sessions/revoke")]
pub async fn revoke_user_sessions(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<uuid::Uuid>,
) -> ApiResult<HttpResponse> {
    let target = servicedesk_core::ids::UserId(id.into_inner());
    block(move || state.auth.revoke_user_sessions(&user.actor, target)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Self-register as a requester; a verification mail follows.
#[utoipa::path(context_path = "/api/v1/auth", tag = "auth", request_body = RegisterRequest, responses(
    (status = 202, description = "Registered (or already registered): check the mailbox"),
    (status = 403, description = "Self-registration is off", body = Problem),
    (status = 422, body = Problem),
    (status = 429, description = "Too many registrations from this client or for this address", body = Problem),
    (status = 503, description = "Password hashing is busy; retry after `Retry-After`", body = Problem)))]
#[post("/register")]
pub async fn register(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ApiJson<RegisterRequest>,
) -> ApiResult<HttpResponse> {
    let ip = client_ip(&req);
    let b = body.into_inner();
    block(move || state.auth.register(&b.email, &b.name, &b.password, &ip)).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Verify the address with the mailed token.
#[utoipa::path(context_path = "/api/v1/auth", tag = "auth", request_body = TokenRequest, responses(
    (status = 204), (status = 422, body = Problem)))]
#[post("/verify-email")]
pub async fn verify_email(
    state: web::Data<AppState>,
    body: ApiJson<TokenRequest>,
) -> ApiResult<HttpResponse> {
    let token = body.into_inner().token;
    block(move || state.auth.verify_email(&token)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ask for a password-reset mail (always 202).
#[utoipa::path(context_path = "/api/v1/auth", tag = "auth", request_body = PasswordResetRequest, responses(
    (status = 202), (status = 429, body = Problem)))]
#[post("/password-reset")]
pub async fn password_reset(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: ApiJson<PasswordResetRequest>,
) -> ApiResult<HttpResponse> {
    let ip = client_ip(&req);
    let email = body.into_inner().email;
    block(move || state.auth.request_password_reset(&email, &ip)).await?;
    Ok(HttpResponse::Accepted().finish())
}

/// Set a new password with the mailed token; every session is revoked. A refused
/// password leaves the token usable.
#[utoipa::path(context_path = "/api/v1/auth", tag = "auth", request_body = PasswordConfirmRequest, responses(
    (status = 204), (status = 422, body = Problem),
    (status = 503, description = "Password hashing is busy; retry after `Retry-After`", body = Problem)))]
#[post("/password-confirm")]
pub async fn password_confirm(
    state: web::Data<AppState>,
    body: ApiJson<PasswordConfirmRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    block(move || state.auth.confirm_password_reset(&b.token, &b.new_password)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Recent failed sign-ins of the caller's organization, newest first (admins: needs
/// `audit_event:read` for the organization).
#[utoipa::path(context_path = "/api/v1/auth", tag = "auth", security(("bearer" = [])),
    params(FailedLoginQuery), responses(
    (status = 200, body = FailedLoginPage), (status = 401, body = Problem),
    (status = 403, body = Problem), (status = 422, body = Problem)))]
#[get("/failed-logins")]
pub async fn failed_logins(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<FailedLoginQuery>,
) -> ApiResult<HttpResponse> {
    let q = query.into_inner();
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid(
            "limit",
            "out_of_range",
            "limit is 1 to 200",
        ));
    }
    let rows = block(move || state.auth.failed_logins(&user.actor, q.cursor, limit)).await?;
    let next_cursor = (rows.len() == limit as usize)
        .then(|| rows.last().map(|r| r.id.to_string()))
        .flatten();
    Ok(HttpResponse::Ok().json(FailedLoginPage {
        items: rows.into_iter().map(FailedLoginDto::from).collect(),
        next_cursor,
    }))
}
