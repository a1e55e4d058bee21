//! Running the awk subset: records split into fields, rules applied, `print` and `printf`.

use std::collections::BTreeMap;

use super::parse::{Expr, Phase, Rule, Stmt};

pub(super) struct State {
    vars: BTreeMap<String, String>,
    separator: String,
    fields: Vec<String>,
    record: String,
    nr: usize,
    out: String,
}

impl State {
    pub fn new(vars: BTreeMap<String, String>, separator: String) -> State {
        State {
            vars,
            separator,
            fields: Vec::new(),
            record: String::new(),
            nr: 0,
            out: String::new(),
        }
    }

    /// Runs the program over the lines of `input`; what it printed.
    pub fn run(mut self, program: &[Rule], input: &str) -> String {
        self.rules(program, Phase::Begin);
        for line in input.lines() {
            self.nr += 1;
            self.set_record(line);
            self.rules(program, Phase::Main);
        }
        self.rules(program, Phase::End);
        self.out
    }

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
