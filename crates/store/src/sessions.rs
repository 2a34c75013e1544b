//! `SessionStore`: refresh-token families with rotation and reuse detection, the access
//! token deny-list, and single-use e-mail tokens. Only digests of tokens are stored.

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use diesel::prelude::*;
use servicedesk_core::ids::{OrgId, UserId};
use servicedesk_core::ports::{Rotation, SessionStore, StoreError, TokenKind};

use crate::Store;
use crate::error::{TxError, map};
use crate::rows::parse;
use crate::schema::{refresh_token_families, refresh_tokens, revoked_tokens, user_tokens};
use crate::time::db;

impl SessionStore for Store {
    fn start_session(
        &self,
        org: OrgId,
        user: UserId,
        token_digest: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<String, StoreError> {
        let family = uuid::Uuid::now_v7().to_string();
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            diesel::insert_into(refresh_token_families::table)
                .values((
                    refresh_token_families::id.eq(&family),
                    refresh_token_families::org_id.eq(org.to_string()),
                    refresh_token_families::user_id.eq(user.to_string()),
                    refresh_token_families::created_at.eq(db(now)),
                ))
                .execute(conn)?;
            diesel::insert_into(refresh_tokens::table)
                .values((
                    refresh_tokens::token_hash.eq(token_digest),
                    refresh_tokens::family_id.eq(&family),
                    refresh_tokens::issued_at.eq(db(now)),
                    refresh_tokens::expires_at.eq(db(expires_at)),
                ))
                .execute(conn)?;
            Ok(())
        })
        .map_err(|e| e.into_store("user"))?;
        Ok(family)
    }

    fn rotate(
        &self,
        digest: &str,
        new_digest: &str,
        new_sealed: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        grace: TimeDelta,
        lifetime: TimeDelta,
    ) -> Result<Rotation, StoreError> {
        let _flush = self.caches.flush_after(crate::cache::Topic::Auth);
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            // Marking the token used (with its successor) is the first statement: of two
            // concurrent refreshes with one token exactly one wins; the other waits for it
            // and then finds the token used, with the successor to hand out again.
            let won = diesel::update(
                refresh_tokens::table
                    .filter(refresh_tokens::token_hash.eq(digest))
                    .filter(refresh_tokens::used_at.is_null()),
            )
            .set((
                refresh_tokens::used_at.eq(db(now)),
                refresh_tokens::successor_sealed.eq(new_sealed),
            ))
            .execute(conn)?;
            let Some((family, token_expiry, used_at, successor)) = refresh_tokens::table
                .filter(refresh_tokens::token_hash.eq(digest))
                .select((
                    refresh_tokens::family_id,
                    refresh_tokens::expires_at,
                    refresh_tokens::used_at,
                    refresh_tokens::successor_sealed,
                ))
                .first::<(String, NaiveDateTime, Option<NaiveDateTime>, Option<String>)>(conn)
                .optional()?
            else {
                return Ok(Rotation::Invalid);
            };
            let (org, user, revoked, started) = refresh_token_families::table
                .filter(refresh_token_families::id.eq(&family))
                .select((
                    refresh_token_families::org_id,
                    refresh_token_families::user_id,
                    refresh_token_families::revoked_at,
                    refresh_token_families::created_at,
                ))
                .first::<(String, String, Option<NaiveDateTime>, NaiveDateTime)>(conn)?;
            let ends = started + lifetime;
            if revoked.is_some() || token_expiry <= db(now) || ends <= db(now) {
                return Ok(Rotation::Invalid);
            }
            let (org_id, user_id) = (
                OrgId(parse("org id", &org)?),
                UserId(parse("user id", &user)?),
            );
            if won == 0 {
                let in_grace = used_at.is_some_and(|u| u + grace > db(now));
                if let (true, Some(successor_sealed)) = (in_grace, successor) {
                    return Ok(Rotation::Grace {
                        session_id: family,
                        org_id,
                        user_id,
                        successor_sealed,
                    });
                }
                diesel::update(
                    refresh_token_families::table.filter(refresh_token_families::id.eq(&family)),
                )
                .set(refresh_token_families::revoked_at.eq(db(now)))
                .execute(conn)?;
                return Ok(Rotation::Reused);
            }
            diesel::insert_into(refresh_tokens::table)
                .values((
                    refresh_tokens::token_hash.eq(new_digest),
                    refresh_tokens::family_id.eq(&family),
                    refresh_tokens::issued_at.eq(db(now)),
                    refresh_tokens::expires_at.eq(db(expires_at).min(ends)),
                ))
                .execute(conn)?;
            Ok(Rotation::Rotated {
                session_id: family,
                org_id,
                user_id,
            })
        })
        .map_err(|e| e.into_store("session"))
    }

    fn forget_successors(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let n = diesel::update(
            refresh_tokens::table
                .filter(refresh_tokens::successor_sealed.is_not_null())
                .filter(refresh_tokens::used_at.lt(db(before))),
        )
        .set(refresh_tokens::successor_sealed.eq(None::<String>))
        .execute(&mut *self.db.conn()?)
        .map_err(map("session"))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn revoke_session(
        &self,
        org: OrgId,
        session_id: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _flush = self.caches.flush_after(crate::cache::Topic::Auth);
        diesel::update(
            refresh_token_families::table
                .filter(refresh_token_families::org_id.eq(org.to_string()))
                .filter(refresh_token_families::id.eq(session_id))
                .filter(refresh_token_families::revoked_at.is_null()),
        )
        .set(refresh_token_families::revoked_at.eq(db(now)))
        .execute(&mut *self.db.conn()?)
        .map_err(map("session"))?;
        Ok(())
    }

    fn revoke_all_sessions(
        &self,
        org: OrgId,
        user: UserId,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let _flush = self.caches.flush_after(crate::cache::Topic::Auth);
        diesel::update(
            refresh_token_families::table
                .filter(refresh_token_families::org_id.eq(org.to_string()))
                .filter(refresh_token_families::user_id.eq(user.to_string()))
                .filter(refresh_token_families::revoked_at.is_null()),
        )
        .set(refresh_token_families::revoked_at.eq(db(now)))
        .execute(&mut *self.db.conn()?)
        .map_err(map("session"))?;
        Ok(())
    }

    fn session_revoked(&self, session_id: &str) -> Result<bool, StoreError> {
        self.caches.session_revoked(session_id, || {
            let revoked = refresh_token_families::table
                .filter(refresh_token_families::id.eq(session_id))
                .select(refresh_token_families::revoked_at)
                .first::<Option<NaiveDateTime>>(&mut *self.db.conn()?)
                .optional()
                .map_err(map("session"))?;
            Ok(!matches!(revoked, Some(None)))
        })
    }

    fn deny(&self, jti: &str, expires_at: DateTime<Utc>) -> Result<(), StoreError> {
        let _flush = self.caches.flush_after(crate::cache::Topic::Auth);
        let mut conn = self.db.conn()?;
        let exists: bool = diesel::select(diesel::dsl::exists(
            revoked_tokens::table.filter(revoked_tokens::jti.eq(jti)),
        ))
        .get_result(&mut *conn)
        .map_err(map("token"))?;
        if !exists {
            match diesel::insert_into(revoked_tokens::table)
                .values((
                    revoked_tokens::jti.eq(jti),
                    revoked_tokens::expires_at.eq(db(expires_at)),
                ))
                .execute(&mut *conn)
                .map_err(map("token"))
            {
                // A concurrent logout with the same token got there first: same outcome.
                Ok(_) | Err(StoreError::Duplicate { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        // Entries are useless once their token has expired anyway.
        diesel::delete(
            revoked_tokens::table.filter(
                revoked_tokens::expires_at.lt(db(expires_at - chrono::TimeDelta::hours(1))),
            ),
        )
        .execute(&mut *conn)
        .map_err(map("token"))?;
        Ok(())
    }

    fn is_denied(&self, jti: &str) -> Result<bool, StoreError> {
        self.caches.denied(jti, || {
            diesel::select(diesel::dsl::exists(
                revoked_tokens::table.filter(revoked_tokens::jti.eq(jti)),
            ))
            .get_result(&mut *self.db.conn()?)
            .map_err(map("token"))
        })
    }

    fn issue_token(
        &self,
        org: OrgId,
        user: UserId,
        kind: TokenKind,
        digest: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let (org, user) = (org.to_string(), user.to_string());
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            diesel::delete(
                user_tokens::table
                    .filter(user_tokens::user_id.eq(&user))
                    .filter(user_tokens::purpose.eq(kind.as_str()))
                    .filter(user_tokens::used_at.is_null()),
            )
            .execute(conn)?;
            diesel::insert_into(user_tokens::table)
                .values((
                    user_tokens::token_hash.eq(digest),
                    user_tokens::org_id.eq(&org),
                    user_tokens::user_id.eq(&user),
                    user_tokens::purpose.eq(kind.as_str()),
                    user_tokens::created_at.eq(db(now)),
                    user_tokens::expires_at.eq(db(expires_at)),
                ))
                .execute(conn)?;
            Ok(())
        })
        .map_err(|e| e.into_store("user"))
    }

    fn peek_token(
        &self,
        kind: TokenKind,
        digest: &str,
        now: DateTime<Utc>,
    ) -> Result<(OrgId, UserId), StoreError> {
        let (org, user) = user_tokens::table
            .filter(user_tokens::token_hash.eq(digest))
            .filter(user_tokens::purpose.eq(kind.as_str()))
            .filter(user_tokens::used_at.is_null())
            .filter(user_tokens::expires_at.gt(db(now)))
            .select((user_tokens::org_id, user_tokens::user_id))
            .first::<(String, String)>(&mut *self.db.conn()?)
            .map_err(map("token"))?;
        Ok((
            OrgId(parse("org id", &org)?),
            UserId(parse("user id", &user)?),
        ))
    }

    fn consume_token(
        &self,
        kind: TokenKind,
        digest: &str,
        now: DateTime<Utc>,
    ) -> Result<(OrgId, UserId), StoreError> {
        let mut conn = self.db.conn()?;
        crate::db::write_tx(&mut conn, |conn| {
            let used = diesel::update(
                user_tokens::table
                    .filter(user_tokens::token_hash.eq(digest))
                    .filter(user_tokens::purpose.eq(kind.as_str()))
                    .filter(user_tokens::used_at.is_null())
                    .filter(user_tokens::expires_at.gt(db(now))),
            )
            .set(user_tokens::used_at.eq(db(now)))
            .execute(conn)?;
            if used == 0 {
                return Err(TxError::Store(StoreError::NotFound("token")));
            }
            let (org, user) = user_tokens::table
                .filter(user_tokens::token_hash.eq(digest))
                .select((user_tokens::org_id, user_tokens::user_id))
                .first::<(String, String)>(conn)?;
            Ok((
                OrgId(parse("org id", &org)?),
                UserId(parse("user id", &user)?),
            ))
        })
        .map_err(|e| e.into_store("token"))
    }
}
