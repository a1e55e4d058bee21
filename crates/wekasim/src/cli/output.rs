//! What a command prints: nothing, text, or JSON (pretty-printed, one key per line, so that
//! `grep` in the operator's shell scripts sees one field per line).

use serde::Serialize;
use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Output {
    Empty,
    Text(String),
    Json(Value),
}

impl Output {
    pub fn json<T: Serialize>(value: &T) -> Output {
        Output::Json(serde_json::to_value(value).unwrap_or(Value::Null))
    }

    pub fn line(text: impl Into<String>) -> Output {
        let mut text = text.into();
        if !text.ends_with('\n') {
            text.push('\n');
        }
        Output::Text(text)
    }

    pub fn render(self) -> String {
        match self {
            Output::Empty => String::new(),
            Output::Text(text) => text,
            Output::Json(value) => {
                let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
                text.push('\n');
                text
            }
        }
    }
}

/// A left-aligned table with a header row, as the CLI prints lists without `--json`.
pub(crate) fn table(headers: &[&str], rows: &[Vec<String>]) -> Output {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.len()).collect();
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let mut text = String::new();
    let header: Vec<String> = headers.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let cells: Vec<String> =
            row.iter().zip(&widths).map(|(cell, w)| format!("{cell:<w$}")).collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    Output::Text(text)
}
