//! The runtime's log lines, formatted as upstream's Python logging prints them
//! (`2025-01-01 00:00:00,000 - root - INFO - message`), on the pod's clock.

use std::time::SystemTime;

use kubesim::nodes::behaviour::ContainerCtx;

#[derive(Clone, Copy)]
pub(crate) struct Log<'a>(pub &'a ContainerCtx);

impl Log<'_> {
    pub fn info(&self, message: impl AsRef<str>) {
        self.line("INFO", message.as_ref());
    }

    pub fn warn(&self, message: impl AsRef<str>) {
        self.line("WARNING", message.as_ref());
    }

    pub fn error(&self, message: impl AsRef<str>) {
        self.line("ERROR", message.as_ref());
    }

    fn line(&self, level: &str, message: &str) {
        let at: chrono::DateTime<chrono::Utc> = SystemTime::from(self.0.clock().now()).into();
        self.0.log(format!("{} - root - {level} - {message}", at.format("%Y-%m-%d %H:%M:%S,%3f")));
    }
}
