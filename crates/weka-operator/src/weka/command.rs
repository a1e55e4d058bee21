//! One command line the service sends: its argv (a program and arguments, or a `bash -ce`
//! script), a short name for metrics, an optional timeout of its own, and whether it carries
//! secrets.

use std::time::Duration;

/// What replaces secrets in anything logged or returned.
pub const REDACTED: &str = "<redacted>";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Command {
    /// The metrics/tracing name: the WEKA command without arguments (`cluster drive add`) or
    /// what an in-pod command is for (`read management_ips`).
    pub op: &'static str,
    pub argv: Vec<String>,
    /// Overrides the service's default timeout.
    pub timeout: Option<Duration>,
    sensitive: bool,
    secrets: Vec<String>,
}

impl Command {
    /// A program and its arguments, run without a shell.
    pub fn argv<I, S>(op: &'static str, argv: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let argv = argv.into_iter().map(Into::into).collect();
        Command { op, argv, timeout: None, sensitive: false, secrets: Vec::new() }
    }

    /// `bash -ce <script>`: the shell exits at the first failing command.
    pub fn script(op: &'static str, script: impl Into<String>) -> Self {
        Self::argv(op, ["bash".to_string(), "-ce".to_string(), script.into()])
    }

    /// `bash -c <script>`, for the few commands upstream runs without `-e`.
    pub fn shell(op: &'static str, script: impl Into<String>) -> Self {
        Self::argv(op, ["bash".to_string(), "-c".to_string(), script.into()])
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Never show the command line: it (or its output) carries secrets.
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// The command line carries this secret: sensitive, and the value is scrubbed from any
    /// text (stderr) that is returned or logged.
    pub fn with_secret(mut self, secret: impl Into<String>) -> Self {
        let secret = secret.into();
        if !secret.is_empty() {
            self.secrets.push(secret);
        }
        self.sensitive()
    }

    pub fn is_sensitive(&self) -> bool {
        self.sensitive
    }

    /// The script of a `bash -c`/`-ce` command.
    pub fn script_text(&self) -> Option<&str> {
        match self.argv.as_slice() {
            [bash, flag, script] if bash == "bash" && flag.starts_with("-c") => Some(script),
            _ => None,
        }
    }

    /// The command line as logs and errors show it; a sensitive one shows its program and op
    /// only.
    pub fn display(&self) -> String {
        if self.sensitive {
            let program = self.argv.first().map(String::as_str).unwrap_or_default();
            return format!("{program} {REDACTED} ({})", self.op);
        }
        self.argv.join(" ")
    }

    /// `text` with every secret of this command replaced.
    pub fn scrub(&self, text: &str) -> String {
        self.secrets.iter().fold(text.to_string(), |text, secret| text.replace(secret, REDACTED))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sensitive_command_shows_neither_arguments_nor_secrets() {
        let cmd = Command::script("user add", "wekaauthcli user add alice clusteradmin S3cr3t!")
            .with_secret("S3cr3t!");
        assert_eq!(cmd.display(), "bash <redacted> (user add)");
        assert_eq!(cmd.scrub("error: bad password S3cr3t!"), "error: bad password <redacted>");
        let plain = Command::argv("status", ["wekaauthcli", "status", "--json"]);
        assert_eq!(plain.display(), "wekaauthcli status --json");
        assert_eq!(plain.script_text(), None);
    }
}
