//! Query parameters of a request.

use crate::errors::{Error, Result};

#[derive(Clone, Debug, Default)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    pub fn parse(raw: Option<&str>) -> Self {
        Query {
            pairs: raw
                .map(|q| {
                    form_urlencoded::parse(q.as_bytes())
                        .map(|(k, v)| (k.into_owned(), v.into_owned()))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }

    /// The first value of a parameter, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A parameter that is given and non-empty.
    pub fn non_empty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    pub fn flag(&self, name: &str) -> bool {
        matches!(self.get(name), Some("true" | "1" | "True"))
    }

    pub fn int(&self, name: &str) -> Result<Option<i64>> {
        match self.non_empty(name) {
            None => Ok(None),
            Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
                Error::BadRequest(format!("invalid value for {name}: {v:?}: must be an integer"))
            }),
        }
    }

    /// `dryRun=All` (the only value the apiserver accepts besides none).
    pub fn dry_run(&self) -> Result<bool> {
        match self.non_empty("dryRun") {
            None => Ok(false),
            Some("All") => Ok(true),
            Some(other) => Err(Error::BadRequest(format!(
                "Invalid dryRun value {other:?}: supported values: \"All\""
            ))),
        }
    }

    pub fn field_manager(&self) -> Option<&str> {
        self.non_empty("fieldManager")
    }
}

/// What to do with fields the schema does not know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldValidation {
    Ignore,
    Warn,
    Strict,
}

impl FieldValidation {
    pub fn from_query(query: &Query) -> Result<Self> {
        match query.non_empty("fieldValidation") {
            None | Some("Warn") => Ok(FieldValidation::Warn),
            Some("Ignore") => Ok(FieldValidation::Ignore),
            Some("Strict") => Ok(FieldValidation::Strict),
            Some(other) => Err(Error::BadRequest(format!(
                "fieldValidation parameter unsupported: {other:?}; supported values: \"Ignore\", \"Warn\", \"Strict\""
            ))),
        }
    }
}
