//! Quoting values into the `bash -c` scripts upstream builds. For ordinary values the result is
//! upstream's text; values with quotes or `$` cannot break out of their word.

/// `'value'`, with embedded single quotes written as `'\''`.
pub fn single_quoted(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// `value` as one shell word: bare when it has only characters the shell leaves alone (as
/// upstream writes it), single-quoted otherwise.
pub fn word(value: &str) -> String {
    let plain = !value.is_empty()
        && value.chars().all(|c| c.is_ascii_alphanumeric() || "-_.,:/@%+=".contains(c));
    if plain { value.to_string() } else { single_quoted(value) }
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
        assert_eq!(word("Op3rator-Passw0rd"), "Op3rator-Passw0rd");
        assert_eq!(word("a b$c"), "'a b$c'");
        assert_eq!(word(""), "''");
        assert_eq!(in_double_quotes(r#"a "b" $c `d`"#), r#"a \"b\" \$c \`d\`"#);
    }
}
