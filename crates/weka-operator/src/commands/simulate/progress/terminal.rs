//! Drawing the live display in place on a terminal with plain ANSI sequences: move the
//! cursor back up over the previous frame, clear to the end of the screen, print the new one.
//! Lines are cut to the terminal's width beforehand so that none wraps and the count holds.

use std::io::Write;

/// Columns when the terminal does not tell.
const FALLBACK_WIDTH: usize = 100;

#[derive(Default)]
pub struct LiveDisplay {
    drawn: usize,
}

impl LiveDisplay {
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the previous frame with `lines`.
    pub fn draw(&mut self, lines: &[String]) {
        let mut out = std::io::stdout().lock();
        let mut frame = String::new();
        if self.drawn > 0 {
            // Cursor to the start of the line `drawn` lines up, then erase below.
            frame.push_str(&format!("\x1b[{}F\x1b[J", self.drawn));
        }
        for line in lines {
            frame.push_str(line);
            frame.push('\n');
        }
        let _ = out.write_all(frame.as_bytes());
        let _ = out.flush();
        self.drawn = lines.len();
    }

    /// Leaves the last frame on screen; what is printed next goes below it.
    pub fn finish(&mut self) {
        self.drawn = 0;
    }
}

/// The terminal's width in columns.
pub fn width() -> usize {
    rustix::termios::tcgetwinsize(std::io::stdout())
        .ok()
        .map(|size| size.ws_col as usize)
        .filter(|cols| *cols > 20)
        .unwrap_or(FALLBACK_WIDTH)
}
