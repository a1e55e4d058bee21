//! WEKA users: list, ensure present, ensure absent, change a password. Every command here is
//! sensitive; passwords never reach logs or errors. Values go into the scripts bare, as
//! upstream writes them, unless they hold characters the shell would interpret.

use serde::Deserialize;

use super::cli::WekaCli;
use super::command::Command;
use super::error::WekaError;
use super::json::nullable;
use super::shell::word;

/// One row of `wekaauthcli user -J` (upstream reads only the name).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct WekaUser {
    #[serde(deserialize_with = "nullable")]
    pub username: String,
    #[serde(deserialize_with = "nullable")]
    pub role: String,
}

impl WekaCli {
    /// `bash -ce "wekaauthcli user -J"`.
    pub async fn list_users(&self) -> Result<Vec<WekaUser>, WekaError> {
        self.run_json(&Command::script("user", "wekaauthcli user -J").sensitive()).await
    }

    /// Adds the user unless listed: `wekaauthcli user add <username> <role> <password>`.
    pub async fn ensure_user(
        &self,
        username: &str,
        password: &str,
        role: &str,
    ) -> Result<(), WekaError> {
        if self.list_users().await?.iter().any(|u| u.username == username) {
            return Ok(());
        }
        let script =
            format!("wekaauthcli user add {} {} {}", word(username), word(role), word(password));
        let cmd = Command::script("user add", script).with_secret(password);
        self.run(&cmd).await.map(drop)
    }

    /// Deletes the user if listed: `wekaauthcli user delete <username>`.
    pub async fn ensure_no_user(&self, username: &str) -> Result<(), WekaError> {
        if !self.list_users().await?.iter().any(|u| u.username == username) {
            return Ok(());
        }
        let script = format!("wekaauthcli user delete {}", word(username));
        self.run(&Command::script("user delete", script).sensitive()).await.map(drop)
    }

    /// Changes `username`'s password, logged in as that user with the current one (the REST
    /// API's admin password change): `bash -c "WEKA_USERNAME=.. WEKA_PASSWORD=.. weka user
    /// passwd <new> --username <user> --current-password <current>"`.
    pub async fn change_password(
        &self,
        username: &str,
        current_password: &str,
        new_password: &str,
    ) -> Result<(), WekaError> {
        let (username, current, new) = (word(username), word(current_password), word(new_password));
        let script = format!(
            "WEKA_USERNAME={username} WEKA_PASSWORD={current} weka user passwd {new} --username {username} --current-password {current}"
        );
        let cmd = Command::shell("user passwd", script)
            .with_secret(current_password)
            .with_secret(new_password);
        self.run(&cmd).await.map(drop)
    }
}
