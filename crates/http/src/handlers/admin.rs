//! Users, organizations, teams, roles and permissions.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use servicedesk_core::identity::{NewTeam, NewUser, UpdateUser};
use servicedesk_core::ids::{OrgId, TeamId, UserId};
use servicedesk_core::rbac::Scope;
use uuid::Uuid;

use crate::AppState;
use crate::dto::*;
use crate::extract::{ApiJson, AuthUser};
use crate::handlers::{block, json_list, page_limit};
use crate::problem::{ApiResult, Problem};

/// Users of the caller's organization.
#[utoipa::path(context_path = "/api/v1/users", tag = "users", security(("bearer" = [])), params(UserListQuery), responses(
    (status = 200, body = [UserDto]), (status = 403, body = Problem)))]
#[get("")]
pub async fn list_users(
    state: web::Data<AppState>,
    user: AuthUser,
    q: web::Query<UserListQuery>,
) -> ApiResult<HttpResponse> {
    let q = q.into_inner();
    let limit = page_limit(q.limit)?;
    let users = block(move || state.admin.users(&user.actor, q.after.map(UserId), limit)).await?;
    Ok(json_list::<_, UserDto>(users))
}

/// Create a user (admins; the platform admin in any organization).
#[utoipa::path(context_path = "/api/v1/users", tag = "users", security(("bearer" = [])), request_body = CreateUserRequest, responses(
    (status = 201, body = UserDto), (status = 403, body = Problem),
    (status = 404, description = "`org_id` names no organization", body = Problem),
    (status = 422, body = Problem)))]
#[post("")]
pub async fn create_user(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<CreateUserRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let input = NewUser {
        email: b.email,
        name: b.name,
        password: b.password,
        role: b.role,
        org_id: b.org_id.map(OrgId),
        team_ids: b.team_ids.into_iter().map(TeamId).collect(),
    };
    let created = block(move || state.admin.create_user(&user.actor, input)).await?;
    Ok(HttpResponse::Created().json(UserDto::from(created)))
}

/// The caller.
#[utoipa::path(context_path = "/api/v1/users", tag = "users", security(("bearer" = [])), responses((status = 200, body = UserDto)))]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let id = user.actor.user_id();
    let me = block(move || state.admin.user(&user.actor, id)).await?;
    Ok(HttpResponse::Ok().json(UserDto::from(me)))
}

/// Change the caller's password (every session is revoked).
#[utoipa::path(context_path = "/api/v1/users", tag = "users", security(("bearer" = [])), request_body = ChangePasswordRequest, responses(
    (status = 204), (status = 422, body = Problem)))]
#[post("/me/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<ChangePasswordRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    block(move || {
        state
            .auth
            .change_password(&user.actor, &b.current_password, &b.new_password)
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// One user.
#[utoipa::path(context_path = "/api/v1/users", tag = "users", security(("bearer" = [])), params(("id" = Uuid, Path)), responses(
    (status = 200, body = UserDto), (status = 404, body = Problem)))]
#[get("/{id}")]
pub async fn get_user(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
) -> ApiResult<HttpResponse> {
    let id = UserId(id.into_inner());
    let found = block(move || state.admin.user(&user.actor, id)).await?;
    Ok(HttpResponse::Ok().json(UserDto::from(found)))
}

/// Change a user's name, time zone, role, active flag or line manager (`manager_id` and
/// `time_zone`: `null` clears). Anyone may change their own name and time zone; the rest is
/// an administrator's change.
#[utoipa::path(context_path = "/api/v1/users", tag = "users", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = UpdateUserRequest, responses(
    (status = 200, body = UserDto),
    (status = 403, body = Problem, description = "not allowed to change this user, or a field only administrators change"),
    (status = 404, body = Problem),
    (status = 422, body = Problem, description = "a field is invalid, e.g. `time_zone` names no IANA time zone (nothing changed)")))]
#[patch("/{id}")]
pub async fn update_user(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: ApiJson<UpdateUserRequest>,
) -> ApiResult<HttpResponse> {
    let id = UserId(id.into_inner());
    let b = body.into_inner();
    let input = UpdateUser {
        name: b.name,
        role: b.role,
        active: b.active,
        platform_admin: b.platform_admin,
        manager_id: b.manager_id.map(|m| m.map(UserId)),
        time_zone: b.time_zone,
    };
    let updated = block(move || state.admin.update_user(&user.actor, id, input)).await?;
    Ok(HttpResponse::Ok().json(UserDto::from(updated)))
}

/// Organizations (all for the platform admin, else the caller's).
#[utoipa::path(context_path = "/api/v1/organizations", tag = "organizations", security(("bearer" = [])), responses((status = 200, body = [OrganizationDto])))]
#[get("")]
pub async fn list_orgs(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let orgs = block(move || state.admin.organizations(&user.actor)).await?;
    Ok(HttpResponse::Ok().json(
        orgs.into_iter()
            .map(OrganizationDto::from)
            .collect::<Vec<_>>(),
    ))
}

/// Create an organization (platform admin).
#[utoipa::path(context_path = "/api/v1/organizations", tag = "organizations", security(("bearer" = [])), request_body = NameRequest, responses(
    (status = 201, body = OrganizationDto), (status = 403, body = Problem),
    (status = 409, body = Problem, description = "an organization of this name exists"),
    (status = 422, body = Problem)))]
#[post("")]
pub async fn create_org(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<NameRequest>,
) -> ApiResult<HttpResponse> {
    let name = body.into_inner().name;
    let org = block(move || state.admin.create_organization(&user.actor, &name)).await?;
    Ok(HttpResponse::Created().json(OrganizationDto::from(org)))
}

/// Teams of the caller's organization.
#[utoipa::path(context_path = "/api/v1/teams", tag = "teams", security(("bearer" = [])), responses((status = 200, body = [TeamDto])))]
#[get("")]
pub async fn list_teams(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let teams = block(move || state.admin.teams(&user.actor)).await?;
    Ok(json_list::<_, TeamDto>(teams))
}

/// Create a team.
#[utoipa::path(context_path = "/api/v1/teams", tag = "teams", security(("bearer" = [])), request_body = CreateTeamRequest, responses(
    (status = 201, body = TeamDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
#[post("")]
pub async fn create_team(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<CreateTeamRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let input = NewTeam {
        name: b.name,
        manager_id: b.manager_id.map(UserId),
    };
    let team = block(move || state.admin.create_team(&user.actor, input)).await?;
    Ok(HttpResponse::Created().json(TeamDto::from(team)))
}

/// Add a member to a team.
#[utoipa::path(context_path = "/api/v1/teams", tag = "teams", security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = AddMemberRequest, responses(
    (status = 204), (status = 404, body = Problem), (status = 422, body = Problem)))]
#[post("/{id}/members")]
pub async fn add_member(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<Uuid>,
    body: ApiJson<AddMemberRequest>,
) -> ApiResult<HttpResponse> {
    let (team, member) = (TeamId(id.into_inner()), UserId(body.into_inner().user_id));
    block(move || state.admin.add_team_member(&user.actor, team, member)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Remove a member from a team (the permission that adds members). Work assigned to the
/// user stays theirs.
#[utoipa::path(context_path = "/api/v1/teams", tag = "teams", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "the team"), ("user_id" = Uuid, Path, description = "the member to remove")),
    responses(
    (status = 204, description = "removed (audited as `team.member_remove`)"),
    (status = 403, body = Problem, description = "no team:manage"),
    (status = 404, body = Problem, description = "no such team in the caller's organization, or the user is not a member of it")))]
#[delete("/{id}/members/{user_id}")]
pub async fn remove_member(
    state: web::Data<AppState>,
    user: AuthUser,
    path: web::Path<(Uuid, Uuid)>,
) -> ApiResult<HttpResponse> {
    let (team, member) = path.into_inner();
    let (team, member) = (TeamId(team), UserId(member));
    block(move || state.admin.remove_team_member(&user.actor, team, member)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Built-in and custom roles.
#[utoipa::path(context_path = "/api/v1/roles", tag = "roles", security(("bearer" = [])), responses((status = 200, body = [RoleDto])))]
#[get("")]
pub async fn list_roles(state: web::Data<AppState>, user: AuthUser) -> ApiResult<HttpResponse> {
    let roles = block(move || state.admin.roles(&user.actor)).await?;
    Ok(json_list::<_, RoleDto>(roles))
}

/// Create a custom role from permissions.
#[utoipa::path(context_path = "/api/v1/roles", tag = "roles", security(("bearer" = [])), request_body = CreateRoleRequest, responses(
    (status = 201, body = RoleDto), (status = 403, body = Problem), (status = 422, body = Problem)))]
#[post("")]
pub async fn create_role(
    state: web::Data<AppState>,
    user: AuthUser,
    body: ApiJson<CreateRoleRequest>,
) -> ApiResult<HttpResponse> {
    let b = body.into_inner();
    let grants: Vec<(String, Scope)> = b
        .permissions
        .into_iter()
        .map(|g| (g.permission, g.scope.into()))
        .collect();
    let role = block(move || state.admin.create_role(&user.actor, &b.name, &grants)).await?;
    Ok(HttpResponse::Created().json(RoleDto::from(role)))
}

/// Replace a custom role's permissions (its holders' access changes at once). Bounded by
/// the caller's own grants, before and after.
#[utoipa::path(context_path = "/api/v1/roles", tag = "roles", security(("bearer" = [])),
    params(("name" = String, Path, description = "a custom role's name", min_length = 1, max_length = 64, pattern = r"^[a-z0-9_-]+$")),
    request_body = UpdateRoleRequest, responses(
    (status = 200, body = RoleDto), (status = 401, body = Problem),
    (status = 403, body = Problem, description = "no role:manage, or a grant beyond the caller's own"),
    (status = 404, body = Problem, description = "no custom role of this name (built-in roles are fixed)"),
    (status = 422, body = Problem)))]
#[put("/{name}")]
pub async fn update_role(
    state: web::Data<AppState>,
    user: AuthUser,
    name: web::Path<String>,
    body: ApiJson<UpdateRoleRequest>,
) -> ApiResult<HttpResponse> {
    let name = name.into_inner();
    let grants: Vec<(String, Scope)> = body
        .into_inner()
        .permissions
        .into_iter()
        .map(|g| (g.permission, g.scope.into()))
        .collect();
    let role = block(move || state.admin.update_role(&user.actor, &name, &grants)).await?;
    Ok(HttpResponse::Ok().json(RoleDto::from(role)))
}

/// Delete a custom role. Refused while any user (active or not) holds it: give them
/// another role first, so nobody loses access silently. Bounded by the caller's own
/// grants, like editing the role.
#[utoipa::path(context_path = "/api/v1/roles", tag = "roles", security(("bearer" = [])),
    params(("name" = String, Path, description = "a custom role's name", min_length = 1, max_length = 64, pattern = r"^[a-z0-9_-]+$")),
    responses(
    (status = 204, description = "deleted (audited as `role.delete`)"),
    (status = 403, body = Problem, description = "no role:manage, or the role grants more than the caller holds"),
    (status = 404, body = Problem, description = "no custom role of this name in the caller's organization"),
    (status = 409, body = Problem, description = "users still hold the role (`illegal-transition`; the detail says how many); nothing was deleted"),
    (status = 422, body = Problem, description = "a built-in role (`name` / `builtin`): built-in roles cannot be deleted")))]
#[delete("/{name}")]
pub async fn delete_role(
    state: web::Data<AppState>,
    user: AuthUser,
    name: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let name = name.into_inner();
    block(move || state.admin.delete_role(&user.actor, &name)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Every permission (`resource:action`) a role can grant.
#[utoipa::path(context_path = "/api/v1/permissions", tag = "roles", security(("bearer" = [])), responses((status = 200, body = [String])))]
#[get("")]
pub async fn permissions(state: web::Data<AppState>, _user: AuthUser) -> ApiResult<HttpResponse> {
    let all: Vec<String> = state
        .admin
        .permissions()
        .iter()
        .map(ToString::to_string)
        .collect();
    Ok(HttpResponse::Ok().json(all))
}
