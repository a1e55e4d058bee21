//! Cluster users (`weka user ...`) and the login check every authenticated command passes.

use crate::error::WekaError;
use crate::world::OpCtx;
use crate::world::cluster::Cluster;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    ClusterAdmin,
    OrgAdmin,
    Regular,
    ReadOnly,
    S3,
    Csi,
}

impl Role {
    /// Case-insensitive, as the CLI accepts `clusteradmin` or `ClusterAdmin`.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.to_ascii_lowercase().as_str() {
            "clusteradmin" => Role::ClusterAdmin,
            "orgadmin" => Role::OrgAdmin,
            "regular" => Role::Regular,
            "readonly" => Role::ReadOnly,
            "s3" => Role::S3,
            "csi" => Role::Csi,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::ClusterAdmin => "ClusterAdmin",
            Role::OrgAdmin => "OrgAdmin",
            Role::Regular => "Regular",
            Role::ReadOnly => "ReadOnly",
            Role::S3 => "S3",
            Role::Csi => "CSI",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    pub username: String,
    pub role: Role,
    pub password: String,
    pub uid: String,
}

/// The user `cluster create` makes; its password is `--admin-password`, else `admin`.
pub const INITIAL_ADMIN: &str = "admin";

const MIN_PASSWORD_LEN: usize = 8;

impl Cluster {
    pub fn authenticate(&self, username: &str, password: &str) -> Result<&User, WekaError> {
        match self.users.get(username) {
            Some(user) if user.password == password => Ok(user),
            _ => Err(WekaError::AuthFailed),
        }
    }

    pub fn create_user(
        &mut self,
        ctx: &mut OpCtx,
        username: &str,
        role: Role,
        password: &str,
    ) -> Result<(), WekaError> {
        if self.users.contains_key(username) {
            return Err(WekaError::UserExists(username.to_string()));
        }
        if password.chars().count() < MIN_PASSWORD_LEN {
            return Err(WekaError::WeakPassword);
        }
        let uid = ctx.rng.uuid();
        self.add_user(username, role, password, uid);
        Ok(())
    }

    pub fn delete_user(&mut self, username: &str) -> Result<(), WekaError> {
        self.users
            .remove(username)
            .map(|_| ())
            .ok_or_else(|| WekaError::UserNotFound(username.to_string()))
    }

    /// `weka user passwd`: `current` is checked when given.
    pub fn change_password(
        &mut self,
        username: &str,
        new_password: &str,
        current: Option<&str>,
    ) -> Result<(), WekaError> {
        let user = self
            .users
            .get_mut(username)
            .ok_or_else(|| WekaError::UserNotFound(username.to_string()))?;
        if current.is_some_and(|c| c != user.password) {
            return Err(WekaError::WrongCurrentPassword);
        }
        if new_password.chars().count() < MIN_PASSWORD_LEN {
            return Err(WekaError::WeakPassword);
        }
        user.password = new_password.to_string();
        Ok(())
    }
}
