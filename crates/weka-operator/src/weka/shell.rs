//! Quoting values into the `bash -c` scripts upstream builds. For ordinary values the result is
//! upstream's text; values with quotes or `$` cannot break out of their word.

/// `'value'`, with embedded single quotes written as `'\''`.
pub fn single_quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// `value` for use between double quotes: `\`, `"`, `$` and backquote escaped.
pub fn in_double_quotes(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(c, '\\' | '"' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_values_are_unchanged_and_quotes_cannot_escape() {
        assert_eq!(single_quoted("https://vault:8200"), "'https://vault:8200'");
        assert_eq!(single_quoted("it's"), r"'it'\''s'");
        assert_eq!(in_double_quotes("drive added"), "drive added");
        assert_eq!(in_double_quotes(r#"a "b" $c `d`"#), r#"a \"b\" \$c \`d\`"#);
    }
}
