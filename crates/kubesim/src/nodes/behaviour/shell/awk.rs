//! `awk`, the subset scripts use to pick and print fields: rules of an optional pattern
//! (`BEGIN`, `END`, `/re/`, `NR==1`, `$1=="x"`, `$2 ~ /re/`, `&&`, `||`, `!`) and an action of
//! `print` / `printf` statements; expressions over fields (`$1`, `$NF`, `$(NF-1)`, `$0`), `NR`,
//! `NF`, `-v` variables, numbers and string literals, concatenation and `+ - * /`. `-F` sets
//! the field separator (a single space means runs of blanks, as in awk).

use std::collections::BTreeMap;

use super::super::{CommandOutput, Fs};

/// Runs `awk [-F sep] [-v name=value]... 'program' [file...]`.
pub fn run(fs: &Fs, cwd: &str, args: &[String], stdin: &[u8]) -> CommandOutput {
    let mut separator = " ".to_string();
    let mut vars = BTreeMap::new();
    let mut rest = args;
    while let Some(arg) = rest.first() {
        if arg == "-F" || arg == "-v" {
            let Some(value) = rest.get(1) else {
                return CommandOutput::fail(
                    2,
                    format!("awk: option requires an argument -- {}\n", &arg[1..]),
                );
            };
            if arg == "-F" {
                separator = unescape_separator(value);
            } else if let Some((k, v)) = value.split_once('=') {
                vars.insert(k.to_string(), v.to_string());
            }
            rest = &rest[2..];
        } else if let Some(sep) = arg.strip_prefix("-F") {
            separator = unescape_separator(sep);
            rest = &rest[1..];
        } else if arg == "--" {
            rest = &rest[1..];
            break;
        } else {
            break;
        }
    }
    let Some((source, files)) = rest.split_first() else {
        return CommandOutput::fail(
            2,
            "usage: awk [-F fs][-v var=value][prog | -f progfile][file ...]\n",
        );
    };
    let program = match Parser::new(source).and_then(|mut p| p.program()) {
        Ok(program) => program,
        Err(message) => return CommandOutput::fail(2, format!("awk: syntax error: {message}\n")),
    };
    let mut input = String::new();
    let mut out = CommandOutput::default();
    if files.is_empty() {
        input.push_str(&String::from_utf8_lossy(stdin));
    }
    for file in files {
        let path = if file.starts_with('/') { file.clone() } else { format!("{cwd}/{file}") };
        match fs.read(&path) {
            Ok(data) => input.push_str(&String::from_utf8_lossy(&data)),
            Err(_) => {
                out.stderr.extend(format!("awk: can't open file {file}\n").bytes());
                out.code = 2;
                return out;
            }
        }
    }
    let mut state = State {
        vars,
        separator,
        fields: Vec::new(),
        record: String::new(),
        nr: 0,
        out: String::new(),
    };
    state.rules(&program, Phase::Begin);
    for line in input.lines() {
        state.nr += 1;
        state.set_record(line);
        state.rules(&program, Phase::Main);
    }
    state.rules(&program, Phase::End);
    out.stdout = state.out.into_bytes();
    out
}

fn unescape_separator(sep: &str) -> String {
    match sep {
        "\\t" | "t" => "\t".to_string(),
        "" => " ".to_string(),
        other => other.to_string(),
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Str(String),
    Regex(String),
    Num(f64),
    Ident(String),
    Op(&'static str),
    Newline,
}

#[derive(Debug, Clone)]
enum Expr {
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
enum Stmt {
    Print(Vec<Expr>),
    Printf(Vec<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    Begin,
    Main,
    End,
}

#[derive(Debug, Clone)]
struct Rule {
    phase: Phase,
    pattern: Option<Expr>,
    /// `None`: print the record.
    action: Option<Vec<Stmt>>,
}

const OPS: &[&str] = &[
    "==", "!=", "<=", ">=", "!~", "&&", "||", "{", "}", "(", ")", ";", ",", "$", "<", ">", "~",
    "!", "+", "-", "*", "/", "%",
];

fn tokenize(source: &str) -> Result<Vec<Token>, String> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
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

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn new(source: &str) -> Result<Parser, String> {
        Ok(Parser { tokens: tokenize(source)?, at: 0 })
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

    fn program(&mut self) -> Result<Vec<Rule>, String> {
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
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        if self.eat("-") {
            return Ok(Expr::Neg(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, String> {
        let token = self.peek().cloned().ok_or("unexpected end of program")?;
        self.at += 1;
        Ok(match token {
            Token::Str(s) => Expr::Str(s),
            Token::Num(n) => Expr::Num(n),
            Token::Regex(r) => Expr::Regex(r),
            Token::Ident(name) => Expr::Var(name),
            Token::Op("$") => Expr::Field(Box::new(self.primary()?)),
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

struct State {
    vars: BTreeMap<String, String>,
    separator: String,
    fields: Vec<String>,
    record: String,
    nr: usize,
    out: String,
}

impl State {
    fn set_record(&mut self, line: &str) {
        self.record = line.to_string();
        self.fields = if self.separator == " " {
            line.split_whitespace().map(str::to_string).collect()
        } else if line.is_empty() {
            Vec::new()
        } else {
            line.split(self.separator.as_str()).map(str::to_string).collect()
        };
    }

    fn rules(&mut self, program: &[Rule], phase: Phase) {
        for rule in program.iter().filter(|r| r.phase == phase) {
            let matched = match &rule.pattern {
                Some(pattern) => truthy(&self.eval(pattern)),
                None => true,
            };
            if !matched {
                continue;
            }
            match &rule.action {
                Some(stmts) => {
                    for stmt in stmts {
                        self.exec(stmt);
                    }
                }
                None => {
                    let line = format!("{}\n", self.record);
                    self.out.push_str(&line);
                }
            }
        }
    }

    fn exec(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Print(args) if args.is_empty() => {
                let line = format!("{}\n", self.record);
                self.out.push_str(&line);
            }
            Stmt::Print(args) => {
                let values: Vec<String> = args.iter().map(|a| self.eval(a)).collect();
                let line = format!("{}\n", values.join(" "));
                self.out.push_str(&line);
            }
            Stmt::Printf(args) => {
                let values: Vec<String> = args.iter().map(|a| self.eval(a)).collect();
                let text = format_printf(&values[0], &values[1..]);
                self.out.push_str(&text);
            }
        }
    }

    fn eval(&self, expr: &Expr) -> String {
        match expr {
            Expr::Str(s) => s.clone(),
            Expr::Num(n) => number_text(*n),
            Expr::Regex(r) => bool_text(regex_matches(r, &self.record)),
            Expr::Field(index) => {
                let n = number(&self.eval(index)).max(0.0) as usize;
                if n == 0 {
                    self.record.clone()
                } else {
                    self.fields.get(n - 1).cloned().unwrap_or_default()
                }
            }
            Expr::Var(name) => match name.as_str() {
                "NR" | "FNR" => self.nr.to_string(),
                "NF" => self.fields.len().to_string(),
                "FS" => self.separator.clone(),
                _ => self.vars.get(name).cloned().unwrap_or_default(),
            },
            Expr::Not(inner) => bool_text(!truthy(&self.eval(inner))),
            Expr::Neg(inner) => number_text(-number(&self.eval(inner))),
            Expr::Concat(a, b) => format!("{}{}", self.eval(a), self.eval(b)),
            Expr::Binary(op, a, b) => self.binary(op, a, b),
        }
    }

    fn binary(&self, op: &str, a: &Expr, b: &Expr) -> String {
        match op {
            "&&" => return bool_text(truthy(&self.eval(a)) && truthy(&self.eval(b))),
            "||" => return bool_text(truthy(&self.eval(a)) || truthy(&self.eval(b))),
            "~" | "!~" => {
                let text = self.eval(a);
                let pattern = match b {
                    Expr::Regex(r) => r.clone(),
                    other => self.eval(other),
                };
                return bool_text(regex_matches(&pattern, &text) == (op == "~"));
            }
            _ => {}
        }
        let (l, r) = (self.eval(a), self.eval(b));
        let numeric = looks_numeric(&l) && looks_numeric(&r);
        let ordering = if numeric {
            number(&l).partial_cmp(&number(&r)).unwrap_or(std::cmp::Ordering::Equal)
        } else {
            l.cmp(&r)
        };
        match op {
            "==" => bool_text(ordering.is_eq()),
            "!=" => bool_text(!ordering.is_eq()),
            "<" => bool_text(ordering.is_lt()),
            "<=" => bool_text(ordering.is_le()),
            ">" => bool_text(ordering.is_gt()),
            ">=" => bool_text(ordering.is_ge()),
            "+" => number_text(number(&l) + number(&r)),
            "-" => number_text(number(&l) - number(&r)),
            "*" => number_text(number(&l) * number(&r)),
            "/" | "%" if number(&r) == 0.0 => "inf".to_string(),
            "/" => number_text(number(&l) / number(&r)),
            "%" => number_text(number(&l) % number(&r)),
            _ => String::new(),
        }
    }
}

fn regex_matches(pattern: &str, text: &str) -> bool {
    regex::Regex::new(pattern).is_ok_and(|re| re.is_match(text))
}

fn bool_text(b: bool) -> String {
    if b { "1" } else { "0" }.to_string()
}

fn truthy(value: &str) -> bool {
    if looks_numeric(value) { number(value) != 0.0 } else { !value.is_empty() }
}

fn looks_numeric(value: &str) -> bool {
    let trimmed = value.trim();
    !trimmed.is_empty() && trimmed.parse::<f64>().is_ok()
}

/// The leading number of a string, as awk reads it (`"12abc"` is 12, `"x"` is 0).
fn number(value: &str) -> f64 {
    let trimmed = value.trim_start();
    let end = trimmed
        .char_indices()
        .take_while(|(i, c)| {
            c.is_ascii_digit() || *c == '.' || (*i == 0 && (*c == '-' || *c == '+'))
        })
        .map(|(i, c)| i + c.len_utf8())
        .last()
        .unwrap_or(0);
    trimmed[..end].parse().unwrap_or(0.0)
}

fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 { format!("{}", n as i64) } else { format!("{n}") }
}

/// `printf` with `%s %d %i %f %x %c %%`, flags `-` and `0`, widths and precisions.
fn format_printf(format: &str, args: &[String]) -> String {
    let mut out = String::new();
    let mut values = args.iter();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = String::new();
        while let Some(&n) = chars.peek() {
            if n.is_ascii_digit() || matches!(n, '-' | '.' | '0') {
                spec.push(n);
                chars.next();
            } else {
                break;
            }
        }
        let Some(conversion) = chars.next() else {
            out.push('%');
            break;
        };
        if conversion == '%' {
            out.push('%');
            continue;
        }
        let value = values.next().cloned().unwrap_or_default();
        let left = spec.starts_with('-');
        let zero = spec.trim_start_matches('-').starts_with('0');
        let (width, precision): (usize, Option<usize>) =
            match spec.trim_start_matches(['-', '0']).split_once('.') {
                Some((w, p)) => (w.parse().unwrap_or(0), p.parse::<usize>().ok()),
                None => (spec.trim_start_matches(['-', '0']).parse().unwrap_or(0), None),
            };
        let text = match conversion {
            'd' | 'i' => format!("{}", number(&value) as i64),
            'f' => format!("{:.*}", precision.unwrap_or(6), number(&value)),
            'x' => format!("{:x}", number(&value) as i64),
            'c' => value.chars().next().map(String::from).unwrap_or_default(),
            's' => match precision {
                Some(p) => value.chars().take(p).collect(),
                None => value,
            },
            other => format!("%{spec}{other}"),
        };
        let pad = width.saturating_sub(text.chars().count());
        if left {
            out.push_str(&text);
            out.push_str(&" ".repeat(pad));
        } else if zero && conversion != 's' {
            out.push_str(&"0".repeat(pad));
            out.push_str(&text);
        } else {
            out.push_str(&" ".repeat(pad));
            out.push_str(&text);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn awk(args: &[&str], input: &str) -> CommandOutput {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        run(&Fs::default(), "/", &args, input.as_bytes())
    }

    fn stdout(args: &[&str], input: &str) -> String {
        let out = awk(args, input);
        assert_eq!(out.code, 0, "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    #[test]
    fn prints_fields_of_each_line() {
        let route = "default via 10.0.0.1 dev eth0 proto dhcp src 10.0.0.5\n";
        assert_eq!(stdout(&["{print $5}"], route), "eth0\n");
        assert_eq!(stdout(&["{print $1, $NF}"], "a b c\nd e\n"), "a c\nd e\n");
        assert_eq!(stdout(&["{print $(NF-1)}"], "a b c\n"), "b\n");
        assert_eq!(stdout(&["{ printf \"%s\", $NF }"], "x y\nz w\n"), "yw");
    }

    #[test]
    fn patterns_select_lines() {
        let text = "alpha 1\nbeta 2\ngamma 3\n";
        assert_eq!(stdout(&["/a$/ || NR==3 {print $1}"], "x\ndelta\nzz\n"), "delta\nzz\n");
        assert_eq!(stdout(&["NR==2"], text), "beta 2\n");
        assert_eq!(stdout(&["$2 > 1 {print $1}"], text), "beta\ngamma\n");
        assert_eq!(stdout(&["$1 ~ /^g/"], text), "gamma 3\n");
        assert_eq!(stdout(&["!/beta/ {print $2}"], text), "1\n3\n");
    }

    #[test]
    fn separators_variables_and_end() {
        assert_eq!(stdout(&["-F:", "{print $2}"], "a:b:c\n"), "b\n");
        assert_eq!(stdout(&["-F", ",", "{print $3}"], "1,2,3\n"), "3\n");
        assert_eq!(stdout(&["-v", "x=hi", "BEGIN {print x}"], ""), "hi\n");
        assert_eq!(stdout(&["END {print NR}"], "a\nb\n"), "2\n");
        assert_eq!(stdout(&["{print $1 \"-\" $2 + 1}"], "a 2\n"), "a-3\n");
    }

    #[test]
    fn bad_programs_fail_without_panicking() {
        for program in ["{print $1", "{frobnicate}", "/unterminated", "\"x", "BEGIN", "{print (}"] {
            let out = awk(&[program], "a b\n");
            assert_eq!(out.code, 2, "{program}");
        }
        assert_eq!(awk(&[], "").code, 2);
        assert_eq!(awk(&["-F"], "").code, 2);
        assert_eq!(awk(&["{print}", "/missing"], "").code, 2);
    }
}
