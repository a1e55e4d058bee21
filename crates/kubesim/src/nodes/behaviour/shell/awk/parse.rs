//! The awk subset's syntax: tokens, then rules of patterns and actions of expressions.

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    Str(String),
    Regex(String),
    Num(f64),
    Ident(String),
    Op(&'static str),
    Newline,
}

#[derive(Debug, Clone)]
pub(super) enum Expr {
    Str(String),
    Num(f64),
    Regex(String),
    Field(Box<Expr>),
    Var(String),
    Not(Box<Expr>),
    Neg(Box<Expr>),
    Binary(&'static str, Box<Expr>, Box<Expr>),
    Concat(Box<Expr>, Box<Expr>),
}

#[derive(Debug, Clone)]
pub(super) enum Stmt {
    Print(Vec<Expr>),
    Printf(Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Phase {
    Begin,
    Main,
    End,
}

#[derive(Debug, Clone)]
pub(super) struct Rule {
    pub phase: Phase,
    pub pattern: Option<Expr>,
    /// `None`: print the record.
    pub action: Option<Vec<Stmt>>,
}

const OPS: &[&str] = &[
    "==", "!=", "<=", ">=", "!~", "&&", "||", "{", "}", "(", ")", ";", ",", "$", "<", ">", "~",
    "!", "+", "-", "*", "/", "%",
];

/// Longest program accepted: evaluation recurses along operator chains, so their length is
/// bounded too.
const MAX_TOKENS: usize = 2000;

fn tokenize(source: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if tokens.len() > MAX_TOKENS {
            return Err("program too long".into());
        }
        let c = chars[i];
        if c == '\n' {
            tokens.push(Token::Newline);
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '"' {
            let mut text = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err("unterminated string".into()),
                    Some('"') => break,
                    Some('\\') => {
                        text.push(match chars.get(i + 1) {
                            Some('n') => '\n',
                            Some('t') => '\t',
                            Some(other) => *other,
                            None => '\\',
                        });
                        i += 2;
                        continue;
                    }
                    Some(other) => text.push(*other),
                }
                i += 1;
            }
            tokens.push(Token::Str(text));
            i += 1;
        } else if c == '/' && regex_allowed(tokens.last()) {
            let mut text = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err("unterminated regular expression".into()),
                    Some('/') => break,
                    Some('\\') if chars.get(i + 1) == Some(&'/') => {
                        text.push('/');
                        i += 2;
                        continue;
                    }
                    Some(other) => text.push(*other),
                }
                i += 1;
            }
            tokens.push(Token::Regex(text));
            i += 1;
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            tokens.push(Token::Num(text.parse().map_err(|_| format!("bad number {text}"))?));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(Token::Ident(chars[start..i].iter().collect()));
        } else {
            let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let op = OPS
                .iter()
                .find(|op| rest.starts_with(**op))
                .ok_or_else(|| format!("unexpected {c:?}"))?;
            tokens.push(Token::Op(op));
            i += op.chars().count();
        }
    }
    Ok(tokens)
}

/// A `/` starts a regular expression unless it follows something that ends an operand.
fn regex_allowed(previous: Option<&Token>) -> bool {
    !matches!(
        previous,
        Some(Token::Num(_) | Token::Str(_) | Token::Ident(_) | Token::Regex(_) | Token::Op(")"))
    )
}

pub(super) struct Parser {
    tokens: Vec<Token>,
    at: usize,
    /// Nesting of expressions, bounded so that no program can exhaust the stack.
    depth: usize,
}

const MAX_DEPTH: usize = 100;

impl Parser {
    pub fn new(source: &str) -> Result<Parser, String> {
        Ok(Parser { tokens: tokenize(source)?, at: 0, depth: 0 })
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn eat(&mut self, op: &str) -> bool {
        if matches!(self.peek(), Some(Token::Op(o)) if *o == op) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn skip_separators(&mut self) {
        while matches!(self.peek(), Some(Token::Newline) | Some(Token::Op(";"))) {
            self.at += 1;
        }
    }

    pub fn program(&mut self) -> Result<Vec<Rule>, String> {
        let mut rules = Vec::new();
        loop {
            self.skip_separators();
            let Some(token) = self.peek() else {
                return Ok(rules);
            };
            let (phase, pattern) = match token {
                Token::Ident(name) if name == "BEGIN" || name == "END" => {
                    let phase = if name == "BEGIN" { Phase::Begin } else { Phase::End };
                    self.at += 1;
                    (phase, None)
                }
                Token::Op("{") => (Phase::Main, None),
                _ => (Phase::Main, Some(self.expr()?)),
            };
            let action = if self.eat("{") { Some(self.block()?) } else { None };
            if phase != Phase::Main && action.is_none() {
                return Err("BEGIN and END need an action".into());
            }
            rules.push(Rule { phase, pattern, action });
        }
    }

    fn block(&mut self) -> Result<Vec<Stmt>, String> {
        let mut stmts = Vec::new();
        loop {
            self.skip_separators();
            if self.eat("}") {
                return Ok(stmts);
            }
            let Some(Token::Ident(word)) = self.peek().cloned() else {
                return Err("expected print or printf".into());
            };
            self.at += 1;
            let args = if matches!(
                self.peek(),
                None | Some(Token::Newline) | Some(Token::Op(";" | "}"))
            ) {
                Vec::new()
            } else {
                self.expr_list()?
            };
            stmts.push(match word.as_str() {
                "print" => Stmt::Print(args),
                "printf" if !args.is_empty() => Stmt::Printf(args),
                other => return Err(format!("unsupported statement {other}")),
            });
        }
    }

    fn expr_list(&mut self) -> Result<Vec<Expr>, String> {
        let mut list = vec![self.expr()?];
        while self.eat(",") {
            list.push(self.expr()?);
        }
        Ok(list)
    }

    fn expr(&mut self) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("expression nested too deeply".into());
        }
        let result = self.or();
        self.depth -= 1;
        result
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut left = self.and()?;
        while self.eat("||") {
            left = Expr::Binary("||", Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut left = self.matching()?;
        while self.eat("&&") {
            left = Expr::Binary("&&", Box::new(left), Box::new(self.matching()?));
        }
        Ok(left)
    }

    fn matching(&mut self) -> Result<Expr, String> {
        let mut left = self.comparison()?;
        loop {
            let op = if self.eat("~") {
                "~"
            } else if self.eat("!~") {
                "!~"
            } else {
                return Ok(left);
            };
            left = Expr::Binary(op, Box::new(left), Box::new(self.comparison()?));
        }
    }

    fn comparison(&mut self) -> Result<Expr, String> {
        let left = self.concat()?;
        for op in ["==", "!=", "<=", ">=", "<", ">"] {
            if self.eat(op) {
                return Ok(Expr::Binary(op, Box::new(left), Box::new(self.concat()?)));
            }
        }
        Ok(left)
    }

    fn concat(&mut self) -> Result<Expr, String> {
        let mut left = self.additive()?;
        while self.starts_operand() {
            left = Expr::Concat(Box::new(left), Box::new(self.additive()?));
        }
        Ok(left)
    }

    fn starts_operand(&self) -> bool {
        match self.peek() {
            Some(Token::Str(_) | Token::Num(_) | Token::Regex(_)) => true,
            Some(Token::Ident(name)) => name != "BEGIN" && name != "END",
            Some(Token::Op(op)) => matches!(*op, "$" | "(" | "!" | "-"),
            _ => false,
        }
    }

    fn additive(&mut self) -> Result<Expr, String> {
        let mut left = self.term()?;
        loop {
            let op = if self.eat("+") {
                "+"
            } else if matches!(self.peek(), Some(Token::Op("-"))) {
                self.at += 1;
                "-"
            } else {
                return Ok(left);
            };
            left = Expr::Binary(op, Box::new(left), Box::new(self.term()?));
        }
    }

    fn term(&mut self) -> Result<Expr, String> {
        let mut left = self.unary()?;
        loop {
            let op = ["*", "/", "%"].into_iter().find(|op| self.eat(op));
            let Some(op) = op else {
                return Ok(left);
            };
            left = Expr::Binary(op, Box::new(left), Box::new(self.unary()?));
        }
    }

    fn unary(&mut self) -> Result<Expr, String> {
        if self.eat("!") {
            return Ok(Expr::Not(Box::new(self.nested(Self::unary)?)));
        }
        if self.eat("-") {
            return Ok(Expr::Neg(Box::new(self.nested(Self::unary)?)));
        }
        self.primary()
    }

    fn nested(&mut self, parse: fn(&mut Self) -> Result<Expr, String>) -> Result<Expr, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err("expression nested too deeply".into());
        }
        let result = parse(self);
        self.depth -= 1;
        result
    }

    fn primary(&mut self) -> Result<Expr, String> {
        let token = self.peek().cloned().ok_or("unexpected end of program")?;
        self.at += 1;
        Ok(match token {
            Token::Str(s) => Expr::Str(s),
            Token::Num(n) => Expr::Num(n),
            Token::Regex(r) => Expr::Regex(r),
            Token::Ident(name) => Expr::Var(name),
            Token::Op("$") => Expr::Field(Box::new(self.nested(Self::primary)?)),
            Token::Op("(") => {
                let inner = self.expr()?;
                if !self.eat(")") {
                    return Err("missing )".into());
                }
                inner
            }
            other => return Err(format!("unexpected {other:?}")),
        })
    }
}
