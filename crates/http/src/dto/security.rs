//! Bodies of the account-security endpoints added by issue 9 (failed sign-ins, MFA changes
//! with re-authentication, admin MFA reset).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use servicedesk_core::ports::FailedLogin;
use utoipa::ToSchema;
use uuid::Uuid;

/// One failed sign-in against an existing account.
#[derive(Debug, Serialize, ToSchema)]
pub struct FailedLoginDto {
    /// Row id (also the paging cursor).
    pub id: Uuid,
    /// The account.
    pub user_id: Uuid,
    /// The address signed in with.
    pub email: String,
    /// The client address, as the server determined it (see `SERVICEDESK_TRUSTED_PROXIES`).
    pub client: String,
    /// What failed.
    #[schema(example = "password")]
    pub reason: String,
    /// When.
    pub at: DateTime<Utc>,
}

impl From<FailedLogin> for FailedLoginDto {
    fn from(f: FailedLogin) -> Self {
        Self {
            id: f.id,
            user_id: f.user_id.0,
            email: f.email,
            client: f.client,
            reason: f.reason,
            at: f.at,
        }
    }
}

/// A page of failed sign-ins, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct FailedLoginPage {
    /// The rows.
    pub items: Vec<FailedLoginDto>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// Paging of `GET /auth/failed-logins`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FailedLoginQuery {
    /// Rows per page (1–200, default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<Uuid>,
}

/// `POST /auth/mfa/enable` and `POST /auth/mfa/recovery-codes`: the current password.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordRequest {
    /// The account's current password.
    #[schema(min_length = 1, max_length = 1024)]
    pub password: String,
}

/// `POST /auth/mfa/confirm` and `POST /auth/mfa/disable`: the current password and a code.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordCodeRequest {
    /// The account's current password.
    #[schema(min_length = 1, max_length = 1024)]
    pub password: String,
    /// A current TOTP code, or (for disable) an unused recovery code.
    #[schema(min_length = 1, max_length = 64)]
    pub code: String,
}

/// `GET /users/{id}/mfa`: whether the user has two-step verification on.
#[derive(Debug, Serialize, ToSchema)]
pub struct MfaStatusDto {
    /// True once the user confirmed an authenticator app.
    pub enabled: bool,
}
