//! Parsing of the shell subset: words with quotes and `$VAR` / `${VAR}` / `$?` / `$(...)`,
//! pipelines, `&&` / `||` lists, `;` / newline / `&` sequences, `!`, redirections (`<`, `>`,
//! `>>`, `2>`, `2>>`, `2>&1`, `&>`, here-documents) and `NAME=value` assignments.

/// A piece of a word, expanded when the command runs.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Text(String),
    Var(String),
    Subst(String),
}

pub type Word = Vec<Piece>;

#[derive(Debug, Clone, PartialEq)]
pub enum Redirect {
    /// `< file`
    In(Word),
    /// Here-document body (already with its text; expanded unless the delimiter was quoted).
    Here(Word),
    /// `> file`, `>> file` (fd 1) or `2> file`, `2>> file` (fd 2).
    Out { fd: u8, target: Word, append: bool },
    /// `2>&1`
    ErrToOut,
    /// `>&2`, `1>&2`
    OutToErr,
    /// `&> file`
    Both(Word),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Simple {
    pub assignments: Vec<(String, Word)>,
    pub words: Vec<Word>,
    pub redirects: Vec<Redirect>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    pub negated: bool,
    pub commands: Vec<Simple>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Connector {
    And,
    Or,
}

/// `p1 && p2 || p3`
#[derive(Debug, Clone, PartialEq)]
pub struct AndOr {
    pub first: Pipeline,
    pub rest: Vec<(Connector, Pipeline)>,
}

pub type Script = Vec<AndOr>;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParseError {
    #[error("Syntax error: Unterminated quoted string")]
    Unterminated,
    #[error("Syntax error: \"{0}\" unexpected")]
    Unexpected(String),
    #[error("Syntax error: end of file unexpected")]
    UnexpectedEnd,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(Word),
    Op(&'static str),
    Redirect(Redirect),
}

pub fn parse(text: &str) -> Result<Script, ParseError> {
    let tokens = tokenize(text)?;
    let mut parser = Parser { tokens, at: 0 };
    parser.script()
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek_op(&self) -> Option<&'static str> {
        match self.tokens.get(self.at) {
            Some(Token::Op(op)) => Some(op),
            _ => None,
        }
    }

    fn script(&mut self) -> Result<Script, ParseError> {
        let mut out = Vec::new();
        loop {
            while matches!(self.peek_op(), Some(";" | "\n" | "&")) {
                self.at += 1;
            }
            if self.at >= self.tokens.len() {
                return Ok(out);
            }
            out.push(self.and_or()?);
            match self.peek_op() {
                None if self.at >= self.tokens.len() => return Ok(out),
                Some(";" | "\n" | "&") => {}
                Some(op) => return Err(ParseError::Unexpected(op.into())),
                None => return Err(ParseError::Unexpected("word".into())),
            }
        }
    }

    fn and_or(&mut self) -> Result<AndOr, ParseError> {
        let first = self.pipeline()?;
        let mut rest = Vec::new();
        loop {
            let connector = match self.peek_op() {
                Some("&&") => Connector::And,
                Some("||") => Connector::Or,
                _ => return Ok(AndOr { first, rest }),
            };
            self.at += 1;
            while self.peek_op() == Some("\n") {
                self.at += 1;
            }
            rest.push((connector, self.pipeline()?));
        }
    }

    fn pipeline(&mut self) -> Result<Pipeline, ParseError> {
        let mut negated = false;
        if let Some(Token::Word(w)) = self.tokens.get(self.at)
            && w == &vec![Piece::Text("!".into())]
        {
            negated = true;
            self.at += 1;
        }
        let mut commands = vec![self.simple()?];
        while self.peek_op() == Some("|") {
            self.at += 1;
            while self.peek_op() == Some("\n") {
                self.at += 1;
            }
            commands.push(self.simple()?);
        }
        Ok(Pipeline { negated, commands })
    }

    fn simple(&mut self) -> Result<Simple, ParseError> {
        let mut cmd = Simple::default();
        while let Some(token) = self.tokens.get(self.at) {
            match token {
                Token::Op(_) => break,
                Token::Redirect(r) => cmd.redirects.push(r.clone()),
                Token::Word(w) => {
                    let assignment = match (cmd.words.is_empty(), w.first()) {
                        (true, Some(Piece::Text(t))) => t
                            .split_once('=')
                            .filter(|(name, _)| is_name(name))
                            .map(|(name, value)| (name.to_string(), value.to_string())),
                        _ => None,
                    };
                    match assignment {
                        Some((name, value)) => {
                            let mut word = vec![Piece::Text(value)];
                            word.extend(w[1..].iter().cloned());
                            cmd.assignments.push((name, word));
                        }
                        None => cmd.words.push(w.clone()),
                    }
                }
            }
            self.at += 1;
        }
        if cmd.words.is_empty() && cmd.assignments.is_empty() && cmd.redirects.is_empty() {
            return match self.tokens.get(self.at) {
                Some(Token::Op(op)) => Err(ParseError::Unexpected(op.to_string())),
                _ => Err(ParseError::UnexpectedEnd),
            };
        }
        Ok(cmd)
    }
}

pub fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn tokenize(text: &str) -> Result<Vec<Token>, ParseError> {
    let chars: Vec<char> = text.chars().collect();
    let mut lexer = Lexer { chars, at: 0, tokens: Vec::new(), pending_here: Vec::new() };
    lexer.run()?;
    Ok(lexer.tokens)
}

struct Lexer {
    chars: Vec<char>,
    at: usize,
    tokens: Vec<Token>,
    /// Here-documents whose bodies start after the current line: (token index, delimiter,
    /// expand, strip tabs).
    pending_here: Vec<(usize, String, bool, bool)>,
}

impl Lexer {
    fn peek(&self, offset: usize) -> Option<char> {
        self.chars.get(self.at + offset).copied()
    }

    fn starts_with(&self, s: &str) -> bool {
        s.chars().enumerate().all(|(i, c)| self.peek(i) == Some(c))
    }

    fn run(&mut self) -> Result<(), ParseError> {
        while let Some(c) = self.peek(0) {
            match c {
                ' ' | '\t' => self.at += 1,
                '\\' if self.peek(1) == Some('\n') => self.at += 2,
                '#' => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.at += 1;
                    }
                }
                '\n' => {
                    self.at += 1;
                    self.tokens.push(Token::Op("\n"));
                    self.read_here_bodies()?;
                }
                _ => {
                    if let Some(op) = ["&&", "||", ";", "|", "&"]
                        .into_iter()
                        .find(|op| self.starts_with(op) && !self.starts_with("&>"))
                    {
                        self.at += op.len();
                        self.tokens.push(Token::Op(op));
                    } else if let Some(r) = self.redirect()? {
                        self.tokens.push(Token::Redirect(r));
                    } else {
                        let word = self.word()?;
                        self.tokens.push(Token::Word(word));
                    }
                }
            }
        }
        if !self.pending_here.is_empty() {
            self.read_here_bodies()?;
        }
        Ok(())
    }

    fn redirect(&mut self) -> Result<Option<Redirect>, ParseError> {
        let fixed = [
            ("2>&1", Some(Redirect::ErrToOut)),
            ("1>&2", Some(Redirect::OutToErr)),
            (">&2", Some(Redirect::OutToErr)),
        ];
        for (text, r) in fixed {
            if self.starts_with(text) {
                self.at += text.len();
                return Ok(r);
            }
        }
        let forms: [(&str, u8, bool); 7] = [
            ("&>", 0, false),
            ("2>>", 2, true),
            ("2>", 2, false),
            ("1>>", 1, true),
            ("1>", 1, false),
            (">>", 1, true),
            (">", 1, false),
        ];
        for (text, fd, append) in forms {
            if self.starts_with(text) {
                self.at += text.len();
                let target = self.target()?;
                return Ok(Some(if fd == 0 {
                    Redirect::Both(target)
                } else {
                    Redirect::Out { fd, target, append }
                }));
            }
        }
        if self.starts_with("<<") {
            self.at += 2;
            let strip = self.peek(0) == Some('-');
            if strip {
                self.at += 1;
            }
            let start = self.at;
            let delimiter = self.target()?;
            let quoted = self.chars[start..self.at].iter().any(|c| matches!(c, '\'' | '"' | '\\'));
            let text: String = delimiter
                .iter()
                .map(|p| match p {
                    Piece::Text(t) | Piece::Var(t) | Piece::Subst(t) => t.as_str(),
                })
                .collect();
            let index = self.tokens.len();
            self.pending_here.push((index, text, !quoted, strip));
            return Ok(Some(Redirect::Here(Vec::new())));
        }
        if self.starts_with("<") {
            self.at += 1;
            return Ok(Some(Redirect::In(self.target()?)));
        }
        Ok(None)
    }

    fn target(&mut self) -> Result<Word, ParseError> {
        while matches!(self.peek(0), Some(' ' | '\t')) {
            self.at += 1;
        }
        match self.peek(0) {
            None | Some('\n' | ';' | '&' | '|' | '<' | '>') => Err(ParseError::UnexpectedEnd),
            _ => self.word(),
        }
    }

    fn read_here_bodies(&mut self) -> Result<(), ParseError> {
        for (index, delimiter, expand, strip) in std::mem::take(&mut self.pending_here) {
            let mut body = String::new();
            loop {
                if self.at >= self.chars.len() {
                    break;
                }
                let start = self.at;
                while self.peek(0).is_some_and(|c| c != '\n') {
                    self.at += 1;
                }
                let mut line: String = self.chars[start..self.at].iter().collect();
                if self.peek(0) == Some('\n') {
                    self.at += 1;
                }
                if strip {
                    line = line.trim_start_matches('\t').to_string();
                }
                if line == delimiter {
                    break;
                }
                body.push_str(&line);
                body.push('\n');
            }
            let word = if expand { expand_text(&body)? } else { vec![Piece::Text(body)] };
            if let Some(Token::Redirect(Redirect::Here(w))) = self.tokens.get_mut(index) {
                *w = word;
            }
        }
        Ok(())
    }

    fn word(&mut self) -> Result<Word, ParseError> {
        let mut word: Word = Vec::new();
        let mut text = String::new();
        let mut started = false;
        while let Some(c) = self.peek(0) {
            match c {
                ' ' | '\t' | '\n' | ';' | '|' | '<' | '>' => break,
                '&' => break,
                '\'' => {
                    started = true;
                    self.at += 1;
                    loop {
                        match self.peek(0) {
                            None => return Err(ParseError::Unterminated),
                            Some('\'') => {
                                self.at += 1;
                                break;
                            }
                            Some(c) => {
                                text.push(c);
                                self.at += 1;
                            }
                        }
                    }
                }
                '"' => {
                    started = true;
                    self.at += 1;
                    loop {
                        match self.peek(0) {
                            None => return Err(ParseError::Unterminated),
                            Some('"') => {
                                self.at += 1;
                                break;
                            }
                            Some('\\') if matches!(self.peek(1), Some('"' | '\\' | '$' | '`')) => {
                                text.push(self.peek(1).unwrap_or('\\'));
                                self.at += 2;
                            }
                            Some('$') => self.dollar(&mut word, &mut text)?,
                            Some('`') => self.backtick(&mut word, &mut text)?,
                            Some(c) => {
                                text.push(c);
                                self.at += 1;
                            }
                        }
                    }
                }
                '\\' => {
                    started = true;
                    if let Some(next) = self.peek(1) {
                        text.push(next);
                    }
                    self.at += 2;
                }
                '$' => {
                    started = true;
                    self.dollar(&mut word, &mut text)?;
                }
                '`' => {
                    started = true;
                    self.backtick(&mut word, &mut text)?;
                }
                c => {
                    started = true;
                    text.push(c);
                    self.at += 1;
                }
            }
        }
        if !text.is_empty() || (started && word.is_empty()) {
            word.push(Piece::Text(text));
        }
        Ok(word)
    }

    /// Reads a backquoted command substitution at the cursor; inside, a backslash escapes a
    /// backquote, a backslash or `$`.
    fn backtick(&mut self, word: &mut Word, text: &mut String) -> Result<(), ParseError> {
        let mut body = String::new();
        let mut i = self.at + 1;
        loop {
            match self.chars.get(i) {
                None => return Err(ParseError::Unterminated),
                Some('`') => break,
                Some('\\') if matches!(self.chars.get(i + 1), Some('`' | '\\' | '$')) => {
                    body.push(self.chars[i + 1]);
                    i += 2;
                }
                Some(c) => {
                    body.push(*c);
                    i += 1;
                }
            }
        }
        if !text.is_empty() {
            word.push(Piece::Text(std::mem::take(text)));
        }
        word.push(Piece::Subst(body));
        self.at = i + 1;
        Ok(())
    }

    /// Reads `$NAME`, `${NAME}`, `$?`, `$(...)` at the cursor.
    fn dollar(&mut self, word: &mut Word, text: &mut String) -> Result<(), ParseError> {
        let flush = |word: &mut Word, text: &mut String| {
            if !text.is_empty() {
                word.push(Piece::Text(std::mem::take(text)));
            }
        };
        match self.peek(1) {
            Some('?' | '$' | '#' | '0'..='9') => {
                flush(word, text);
                word.push(Piece::Var(self.peek(1).unwrap_or('?').to_string()));
                self.at += 2;
            }
            Some('{') => {
                let end = (self.at + 2..self.chars.len())
                    .find(|i| self.chars[*i] == '}')
                    .ok_or(ParseError::Unterminated)?;
                flush(word, text);
                word.push(Piece::Var(self.chars[self.at + 2..end].iter().collect()));
                self.at = end + 1;
            }
            Some('(') => {
                let mut depth = 0;
                let mut end = None;
                for i in self.at + 1..self.chars.len() {
                    match self.chars[i] {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                end = Some(i);
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let end = end.ok_or(ParseError::Unterminated)?;
                flush(word, text);
                word.push(Piece::Subst(self.chars[self.at + 2..end].iter().collect()));
                self.at = end + 1;
            }
            Some(c) if c.is_ascii_alphabetic() || c == '_' => {
                let mut end = self.at + 1;
                while self.chars.get(end).is_some_and(|c| c.is_ascii_alphanumeric() || *c == '_') {
                    end += 1;
                }
                flush(word, text);
                word.push(Piece::Var(self.chars[self.at + 1..end].iter().collect()));
                self.at = end;
            }
            _ => {
                text.push('$');
                self.at += 1;
            }
        }
        Ok(())
    }
}

/// Expands `$VAR` and `$(...)` in text that is otherwise literal (here-document bodies).
fn expand_text(body: &str) -> Result<Word, ParseError> {
    let mut lexer = Lexer {
        chars: body.chars().collect(),
        at: 0,
        tokens: Vec::new(),
        pending_here: Vec::new(),
    };
    let mut word = Vec::new();
    let mut text = String::new();
    while let Some(c) = lexer.peek(0) {
        if c == '$' {
            lexer.dollar(&mut word, &mut text)?;
        } else {
            text.push(c);
            lexer.at += 1;
        }
    }
    if !text.is_empty() {
        word.push(Piece::Text(text));
    }
    Ok(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Word {
        vec![Piece::Text(s.into())]
    }

    #[test]
    fn quotes_and_operators() {
        let script = parse("echo 'a b' \"c\"d && false || true; ls").unwrap();
        assert_eq!(script.len(), 2);
        let first = &script[0];
        assert_eq!(first.first.commands[0].words, vec![text("echo"), text("a b"), text("cd")]);
        assert_eq!(first.rest[0].0, Connector::And);
        assert_eq!(first.rest[1].0, Connector::Or);
    }

    #[test]
    fn variables_substitutions_and_redirects() {
        let script = parse("echo \"$HOME/x\" ${A} $(cat /f) > /tmp/o 2>&1").unwrap();
        let cmd = &script[0].first.commands[0];
        assert_eq!(cmd.words[1], vec![Piece::Var("HOME".into()), Piece::Text("/x".into())]);
        assert_eq!(cmd.words[2], vec![Piece::Var("A".into())]);
        assert_eq!(cmd.words[3], vec![Piece::Subst("cat /f".into())]);
        assert_eq!(
            cmd.redirects,
            vec![
                Redirect::Out { fd: 1, target: text("/tmp/o"), append: false },
                Redirect::ErrToOut
            ]
        );
    }

    #[test]
    fn pipelines_negation_and_assignments() {
        let script = parse("X=1 ! echo a | base64 -d").unwrap();
        let p = &script[0].first;
        assert!(!p.negated);
        let script = parse("! test -f /x").unwrap();
        assert!(script[0].first.negated);
        let script = parse("X=1 env | grep X").unwrap();
        assert_eq!(script[0].first.commands.len(), 2);
        assert_eq!(script[0].first.commands[0].assignments[0].0, "X");
    }

    #[test]
    fn here_documents_carry_their_body() {
        let script = parse("cat <<EOF > /data/m\nline $X\nEOF\necho done").unwrap();
        assert_eq!(script.len(), 2);
        let cmd = &script[0].first.commands[0];
        assert_eq!(
            cmd.redirects[0],
            Redirect::Here(vec![
                Piece::Text("line ".into()),
                Piece::Var("X".into()),
                Piece::Text("\n".into())
            ])
        );
    }

    #[test]
    fn syntax_errors_are_reported() {
        assert_eq!(parse("echo 'a"), Err(ParseError::Unterminated));
        assert!(parse("&& true").is_err());
        assert!(parse("true &&").is_err());
        assert_eq!(parse("").unwrap(), Vec::new());
        assert_eq!(parse("  # only a comment\n").unwrap(), Vec::new());
    }
}
