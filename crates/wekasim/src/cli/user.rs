//! Users: `weka user [-J] | user add | user delete | user passwd`.

use serde::Serialize;

use crate::cli::output::{Output, table};
use crate::cli::parser::{Parsed, Spec, UsageError, value};
use crate::cli::{CmdResult, Command, Invocation};
use crate::world::users::{INITIAL_ADMIN, Role};

pub(crate) const COMMANDS: &[Command] = &[
    Command { spec: Spec { path: "user", args: &[], opts: &[], about: "List users" }, run: list },
    Command {
        spec: Spec {
            path: "user add",
            args: &["username", "role", "password"],
            opts: &[],
            about: "Create a user",
        },
        run: add,
    },
    Command {
        spec: Spec { path: "user delete", args: &["username"], opts: &[], about: "Delete a user" },
        run: delete,
    },
    Command {
        spec: Spec {
            path: "user passwd",
            args: &["password"],
            opts: &[value("username"), value("current-password")],
            about: "Change a user's password (the logged-in user's by default)",
        },
        run: passwd,
    },
];

#[derive(Serialize)]
struct UserJson {
    username: String,
    role: &'static str,
    org_id: u32,
    uid: String,
    source: &'static str,
    posix_uid: Option<u32>,
    posix_gid: Option<u32>,
    s3_policy: Option<String>,
}

fn list(inv: &mut Invocation, _: &Parsed) -> CmdResult {
    let json = inv.json;
    inv.read(|cluster, _| {
        let rows: Vec<UserJson> = cluster
            .users
            .values()
            .map(|u| UserJson {
                username: u.username.clone(),
                role: u.role.as_str(),
                org_id: 0,
                uid: u.uid.clone(),
                source: "Internal",
                posix_uid: None,
                posix_gid: None,
                s3_policy: None,
            })
            .collect();
        if json {
            Output::json(&rows)
        } else {
            let rows: Vec<Vec<String>> = rows
                .iter()
                .map(|u| {
                    vec![
                        u.uid.clone(),
                        u.username.clone(),
                        u.source.to_string(),
                        u.role.to_string(),
                    ]
                })
                .collect();
            table(&["UID", "USER", "SOURCE", "ROLE"], &rows)
        }
    })
}

fn add(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let role = Role::parse(p.arg(1)).ok_or_else(|| {
        UsageError::invalid(
            "role",
            p.arg(1),
            "expected clusteradmin, orgadmin, regular, readonly, s3 or csi",
        )
    })?;
    let (username, password) = (p.arg(0).to_string(), p.arg(2).to_string());
    inv.op(|cluster, ctx| cluster.create_user(ctx, &username, role, &password))?;
    Ok(Output::Empty)
}

fn delete(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let username = p.arg(0).to_string();
    inv.op(|cluster, _| cluster.delete_user(&username))?;
    Ok(Output::Empty)
}

fn passwd(inv: &mut Invocation, p: &Parsed) -> CmdResult {
    let username = match p.value("username") {
        Some(u) => u.to_string(),
        None => {
            inv.ctx.env.get("WEKA_USERNAME").cloned().unwrap_or_else(|| INITIAL_ADMIN.to_string())
        }
    };
    let (password, current) =
        (p.arg(0).to_string(), p.value("current-password").map(str::to_string));
    inv.op(|cluster, _| cluster.change_password(&username, &password, current.as_deref()))?;
    Ok(Output::Empty)
}

#[cfg(test)]
mod tests {
    use crate::cli::ExecContext;
    use crate::cli::testkit::{Kit, assert_shape};

    #[test]
    fn users_are_listed_added_and_deleted() {
        let mut kit = Kit::formed(1, 0);
        let users = kit.json("drive-0", "user -J");
        assert_shape(
            &users[0],
            &[("username", 's'), ("role", 's'), ("org_id", 'n'), ("uid", 's'), ("source", 's')],
        );
        assert_eq!(users[0]["username"], "admin");
        kit.ok("drive-0", "user add weka-operator-abc clusteradmin S3cretPassw0rd");
        kit.ok("drive-0", "user add csi-user CSI S3cretPassw0rd");
        assert!(
            kit.err("drive-0", "user add csi-user csi S3cretPassw0rd").contains("already exists")
        );
        let names: Vec<String> = kit
            .json("drive-0", "user -J")
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(names, ["admin", "csi-user", "weka-operator-abc"]);
        kit.ok("drive-0", "user delete csi-user");
        assert!(kit.err("drive-0", "user delete csi-user").contains("does not exist"));
        let ctx = ExecContext::in_agent("drive-0")
            .with_credentials("weka-operator-abc", "S3cretPassw0rd");
        assert!(kit.run_ctx(&ctx, "status").success());
    }

    #[test]
    fn bad_user_arguments() {
        let mut kit = Kit::formed(1, 0);
        assert_eq!(kit.run("drive-0", "user add someone superuser S3cretPassw0rd").exit_code, 2);
        assert_eq!(kit.run("drive-0", "user add someone regular").exit_code, 2);
        assert!(
            kit.err("drive-0", "user add someone regular short").contains("at least 8 characters")
        );
        assert_eq!(kit.run("drive-0", "user delete").exit_code, 2);
    }

    #[test]
    fn passwd_changes_the_password_with_the_current_one() {
        let mut kit = Kit::formed(1, 0);
        let old = ExecContext::in_agent("drive-0").with_credentials("admin", "Adm1nPassw0rd");
        let out = kit
            .run_ctx(&old, "user passwd N3wPassw0rd --username admin --current-password wrong-one");
        assert!(out.stderr.contains("current password is incorrect"), "{out:?}");
        let out = kit.run_ctx(
            &old,
            "user passwd N3wPassw0rd --username admin --current-password Adm1nPassw0rd",
        );
        assert!(out.success(), "{out:?}");
        assert!(!kit.run_ctx(&old, "status").success());
        let new = ExecContext::in_agent("drive-0").with_credentials("admin", "N3wPassw0rd");
        assert!(kit.run_ctx(&new, "status").success());
        assert_eq!(kit.run_ctx(&new, "user passwd").exit_code, 2);
    }
}
