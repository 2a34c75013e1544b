//! Sealing stored secrets again after a key rotation (`servicedesk keys reseal`).

use diesel::prelude::*;
use servicedesk_core::ports::{CryptoError, StoreError};

use crate::Store;
use crate::error::map;
use crate::schema::{users, webhooks};

/// How many stored secrets [`Store::reseal_secrets`] sealed again.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resealed {
    /// Users' TOTP secrets.
    pub totp: usize,
    /// Webhook signing secrets.
    pub webhooks: usize,
}

impl Store {
    /// Passes every stored sealed secret (users' TOTP secrets, webhook signing secrets) to
    /// `reseal` and stores the new sealed value it returns, if any. Each row is updated only
    /// while it still holds the value read, so a concurrent change wins and nothing is lost.
    ///
    /// # Errors
    /// `Unavailable` when the store fails, or with the message of `reseal`'s first error
    /// (rows updated before it stay updated: each is valid under the current key ring).
    pub fn reseal_secrets(
        &self,
        reseal: &dyn Fn(&str) -> Result<Option<String>, CryptoError>,
    ) -> Result<Resealed, StoreError> {
        let _flush = self.caches.flush_after(crate::cache::Topic::Auth);
        let mut conn = self.db.conn()?;
        let mut done = Resealed::default();
        let sealed_totp: Vec<(String, String)> = users::table
            .filter(users::mfa_secret_enc.is_not_null())
            .select((users::id, users::mfa_secret_enc.assume_not_null()))
            .load(&mut *conn)
            .map_err(map("user"))?;
        for (id, old) in sealed_totp {
            if let Some(new) = reseal(&old).map_err(|e| StoreError::Unavailable(e.0))? {
                done.totp += diesel::update(
                    users::table
                        .filter(users::id.eq(&id))
                        .filter(users::mfa_secret_enc.eq(&old)),
                )
                .set(users::mfa_secret_enc.eq(&new))
                .execute(&mut *conn)
                .map_err(map("user"))?;
            }
        }
        let sealed_hooks: Vec<(String, String, String)> = webhooks::table
            .select((webhooks::org_id, webhooks::id, webhooks::secret_sealed))
            .load(&mut *conn)
            .map_err(map("webhook"))?;
        for (org, id, old) in sealed_hooks {
            if let Some(new) = reseal(&old).map_err(|e| StoreError::Unavailable(e.0))? {
                done.webhooks += diesel::update(
                    webhooks::table
                        .filter(webhooks::org_id.eq(&org))
                        .filter(webhooks::id.eq(&id))
                        .filter(webhooks::secret_sealed.eq(&old)),
                )
                .set(webhooks::secret_sealed.eq(&new))
                .execute(&mut *conn)
                .map_err(map("webhook"))?;
            }
        }
        Ok(done)
    }
}
