//! `GET /stream` (NTF-3): the live feed over a WebSocket. See `docs/live-feed.md`.
//!
//! The token is checked before the upgrade (header, or `?access_token=` for browsers), the
//! same way as on every other route. After the upgrade the socket receives one JSON text
//! frame per ticket event the user may see ([`FeedItem::visible_to`]), is pinged every
//! [`PING_INTERVAL`] (and closed when a ping goes unanswered for as long), has its token
//! re-checked at each ping (logout, deactivation, role and team changes take effect; one
//! check per token every [`FeedHub::RECHECK_TTL`], shared by the sockets holding it), and
//! is closed with code 1008 when the access token expires. A user holds at most
//! [`FeedHub::MAX_SOCKETS_PER_USER`] sockets per server process (429 on the next upgrade).
//!
//! [`FeedHub::RECHECK_TTL`]: crate::feed::FeedHub::RECHECK_TTL
//! [`FeedHub::MAX_SOCKETS_PER_USER`]: crate::feed::FeedHub::MAX_SOCKETS_PER_USER
//!
//! [`FeedItem::visible_to`]: servicedesk_core::feed::FeedItem::visible_to

use std::time::Duration;

use actix_web::rt::time::{Instant, interval_at, sleep};
use actix_web::{HttpRequest, HttpResponse, get, web};
use actix_ws::{CloseCode, CloseReason, Message, MessageStream, Session};
use serde::Deserialize;
use servicedesk_core::{Actor, Error};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::AppState;
use crate::extract::{AuthUser, bearer_token};
use crate::feed::{Next, Recheck, Subscription};
use crate::problem::{ApiError, ApiResult, Problem};

/// How often the server pings (and re-checks the token); a ping unanswered by the next one
/// closes the socket.
pub const PING_INTERVAL: Duration = Duration::from_secs(30);

/// The query of `GET /stream`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamQuery {
    /// The access token, for clients that cannot set headers on a WebSocket (browsers).
    /// Ignored when an `Authorization` header is sent. URLs end up in logs: prefer the
    /// header where the client can set it.
    pub access_token: Option<String>,
}

/// The console's session cookie, accepted only from a page of the console's own origin: a
/// browser sends cookies on cross-site WebSocket handshakes too, and the Origin header is
/// what tells another site's page from ours (cross-site WebSocket hijacking).
fn console_cookie(req: &HttpRequest, console_origin: &str, name: &str) -> Option<String> {
    let origin = req
        .headers()
        .get(actix_web::http::header::ORIGIN)?
        .to_str()
        .ok()?;
    if console_origin.is_empty() || !origin.eq_ignore_ascii_case(console_origin) {
        return None;
    }
    req.cookie(name).map(|c| c.value().to_owned())
}

/// The ticket of a live-feed frame (documentation of the frame's shape).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read only by the schema and its test
pub struct FeedTicketFrame {
    /// The ticket.
    id: Uuid,
    /// Its kind: `incident`, `request`, …
    kind: String,
    /// Its reference, e.g. `INC-12`.
    reference: String,
    /// Its number in the organization, per kind.
    number: i64,
    /// Its title (may be empty when the item was too large to relay between servers).
    title: String,
    /// Its state, e.g. `in_progress`.
    status: String,
    /// Its priority, e.g. `high`.
    priority: String,
    /// Who asked.
    requester_id: Uuid,
    /// Its team.
    team_id: Option<Uuid>,
    /// Its agent.
    assignee_id: Option<Uuid>,
}

/// One text frame of the live feed: a ticket event, right after it was committed.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // read only by the schema and its test
pub struct FeedFrame {
    /// The domain event's id: delivery is at-least-once, de-duplicate on it.
    event_id: Uuid,
    /// The organization (always the subscriber's).
    org_id: Uuid,
    /// The event type, e.g. `incident.assigned`.
    kind: String,
    /// When it happened (RFC 3339, UTC).
    occurred_at: chrono::DateTime<chrono::Utc>,
    /// Who did it (`null` for the system).
    actor_id: Option<Uuid>,
    /// The ticket as it is when the item is published.
    ticket: FeedTicketFrame,
    /// True for an internal work note (only sent to those who may read internal notes).
    internal: bool,
}

/// The live feed: a WebSocket pushing, as JSON text frames (`FeedFrame`), the ticket events
/// of your organization that you may see. Authenticate with `Authorization: Bearer` or, from
/// a browser, `?access_token=`. The server pings every 30 s and closes the socket (1008)
/// when the access token expires: reconnect with a fresh one. At most 10 open sockets per
/// user and server process: the next upgrade answers 429.
#[utoipa::path(context_path = "/api/v1/stream", tag = "stream", security(("bearer" = [])), params(StreamQuery),
    responses(
        (status = 101, description = "Switching Protocols: a WebSocket sending one JSON text frame per visible ticket event", body = FeedFrame),
        (status = 400, description = "Not a WebSocket upgrade request", body = Problem),
        (status = 401, description = "Missing, invalid, expired or revoked token (no upgrade)", body = Problem),
        (status = 429, description = "The user already holds 10 open live-feed sockets on this server process (header `Retry-After`)", body = Problem)))]
#[get("")]
pub async fn stream(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let token = bearer_token(&req)
        .or_else(|| {
            web::Query::<StreamQuery>::from_query(req.query_string())
                .ok()
                .and_then(|q| q.into_inner().access_token)
        })
        .or_else(|| console_cookie(&req, &state.console_origin, &state.console_cookie));
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(Error::Unauthenticated.into());
    };
    let user = AuthUser::verify(&state, token.clone()).await?;
    // Counted before the upgrade; the slot goes back when the socket's subscription is
    // dropped (also when the upgrade below fails).
    let Some(subscription) = state.feed.subscribe_for(user.actor.user_id()) else {
        return Err(Error::RateLimited {
            retry_after_secs: PING_INTERVAL.as_secs(),
        }
        .into());
    };
    let (response, session, messages) = actix_ws::handle(&req, body).map_err(|_| {
        ApiError::bad_request("GET /api/v1/stream is a WebSocket: send an upgrade request")
    })?;
    let lifetime = (user.claims.expires_at - state.clock.now())
        .to_std()
        .unwrap_or(Duration::ZERO);
    actix_web::rt::spawn(serve(
        Connection {
            session,
            messages,
            subscription,
            state,
            token,
            actor: user.actor,
        },
        lifetime,
    ));
    Ok(response)
}

/// One open socket.
struct Connection {
    session: Session,
    messages: MessageStream,
    subscription: Subscription,
    state: web::Data<AppState>,
    token: String,
    actor: Actor,
}

fn reason(code: CloseCode, description: &str) -> Option<CloseReason> {
    Some(CloseReason {
        code,
        description: Some(description.to_owned()),
    })
}

/// Runs the socket until the client leaves, the token expires or is revoked, the client
/// stops answering pings, or the hub closes.
async fn serve(mut c: Connection, lifetime: Duration) {
    let expiry = sleep(lifetime);
    tokio::pin!(expiry);
    let mut ping = interval_at(Instant::now() + PING_INTERVAL, PING_INTERVAL);
    let mut awaiting_pong = false;
    let close = loop {
        tokio::select! {
            biased;
            msg = c.messages.recv() => match msg {
                Some(Ok(Message::Ping(bytes))) => {
                    if c.session.pong(&bytes).await.is_err() {
                        return;
                    }
                }
                Some(Ok(Message::Pong(_))) => awaiting_pong = false,
                Some(Ok(Message::Close(reason))) => break reason,
                // The feed is one-way: whatever else the client sends is ignored.
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    tracing::debug!(error = %e, "live-feed socket protocol error");
                    break reason(CloseCode::Protocol, "protocol error");
                }
                None => return,
            },
            () = &mut expiry => break reason(CloseCode::Policy, "access token expired"),
            _ = ping.tick() => {
                if awaiting_pong {
                    break reason(CloseCode::Away, "no answer to ping");
                }
                let state = c.state.clone();
                let token = c.token.clone();
                // One check per token and tick, shared by the user's sockets holding it.
                let found = c.state.feed.recheck(&c.token, || async move {
                    match AuthUser::verify(&state, token).await {
                        Ok(user) => Recheck::Valid(user.actor),
                        Err(e) if e.0.status == 401 => Recheck::Invalid,
                        Err(e) => {
                            tracing::warn!(error = %e, "live feed: cannot re-check a token");
                            Recheck::Unknown
                        }
                    }
                }).await;
                match found {
                    // Role and team changes apply from here on.
                    Recheck::Valid(actor) => c.actor = actor,
                    Recheck::Invalid => {
                        break reason(CloseCode::Policy, "access token no longer valid");
                    }
                    // The store is unavailable: keep the socket and the actor we have.
                    Recheck::Unknown => {}
                }
                if c.session.ping(b"").await.is_err() {
                    return;
                }
                awaiting_pong = true;
            }
            next = c.subscription.next() => match next {
                Next::Item(p) => {
                    if p.item().visible_to(&c.actor) && c.session.text(p.json().to_owned()).await.is_err() {
                        return;
                    }
                }
                Next::Empty => {}
                Next::Closed => break reason(CloseCode::Away, "server shutting down"),
            },
        }
    };
    let _ = c.session.close(close).await;
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use servicedesk_core::feed::{FeedItem, FeedTicket};
    use servicedesk_core::ids::{EventId, IncidentId, OrgId, TeamId, UserId};

    use super::*;

    /// The documented frame shape is exactly what a `FeedItem` serializes to: every field,
    /// nothing more (`deny_unknown_fields`), with and without the optional ones.
    #[test]
    fn the_documented_frame_matches_the_feed_item() {
        for (team, assignee, actor) in [
            (None, None, None),
            (
                Some(TeamId(Uuid::now_v7())),
                Some(UserId(Uuid::now_v7())),
                Some(UserId(Uuid::now_v7())),
            ),
        ] {
            let item = FeedItem {
                event_id: EventId(Uuid::now_v7()),
                org_id: OrgId(Uuid::now_v7()),
                kind: "incident.assigned".into(),
                occurred_at: Utc.with_ymd_and_hms(2026, 11, 2, 9, 30, 0).unwrap(),
                actor_id: actor,
                ticket: FeedTicket {
                    id: IncidentId(Uuid::now_v7()),
                    kind: servicedesk_core::tickets::TicketKind::Incident,
                    reference: "INC-42".into(),
                    number: 42,
                    title: "VPN down".into(),
                    status: "in_progress".into(),
                    priority: "p2".into(),
                    requester_id: UserId(Uuid::now_v7()),
                    team_id: team,
                    assignee_id: assignee,
                },
                internal: false,
            };
            let json = serde_json::to_string(&item).unwrap();
            let frame: FeedFrame = serde_json::from_str(&json)
                .unwrap_or_else(|e| panic!("documented frame differs from {json}: {e}"));
            assert_eq!(frame.event_id, item.event_id.0);
            assert_eq!(frame.ticket.number, 42);
            assert_eq!(frame.ticket.team_id, team.map(|t| t.0));
        }
    }
}
