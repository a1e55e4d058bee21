//! Parsing WEKA resources from JSON or YAML with errors that name the field and the reason,
//! e.g. `spec.mode: unknown variant "warp", expected one of ...`.

use serde::de::DeserializeOwned;

/// A resource that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The text is not JSON/YAML at all.
    #[error("malformed {format}: {message}")]
    Syntax { format: &'static str, message: String },
    /// The document is well-formed but a field has the wrong shape.
    #[error("{path}: {message}")]
    Field { path: String, message: String },
}

impl ParseError {
    /// The JSON path of the offending field (`.` for the document itself).
    pub fn path(&self) -> &str {
        match self {
            ParseError::Syntax { .. } => ".",
            ParseError::Field { path, .. } => path,
        }
    }
}

/// Reads a resource from a JSON value.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ParseError> {
    serde_path_to_error::deserialize(value).map_err(|err| ParseError::Field {
        path: err.path().to_string(),
        message: without_position(err.inner().to_string()),
    })
}

/// Reads a resource from JSON text. Straight into the type first (the operator decodes
/// cached objects on every reconcile; going through a `Value` with path tracking costs
/// several times more); only text that fails is read again to name the field.
pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, ParseError> {
    if let Ok(parsed) = serde_json::from_str(text) {
        return Ok(parsed);
    }
    let value: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| ParseError::Syntax { format: "JSON", message: e.to_string() })?;
    from_value(value)
}

/// Reads a resource from one YAML document.
pub fn from_yaml<T: DeserializeOwned>(text: &str) -> Result<T, ParseError> {
    let value: serde_json::Value = serde_yaml::from_str(text)
        .map_err(|e| ParseError::Syntax { format: "YAML", message: e.to_string() })?;
    from_value(value)
}

/// serde_json appends "at line 1 column 2" even for values; the path says more.
fn without_position(message: String) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message,
    }
}
