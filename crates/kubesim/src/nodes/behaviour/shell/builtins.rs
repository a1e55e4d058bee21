//! The programs every simulated container has (busybox-like), over its in-memory filesystem.
//! Each takes argv and stdin and gives stdout, stderr and an exit code.

use std::collections::BTreeMap;

use base64::Engine;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;

use super::super::{CommandOutput, Fs, FsError};

pub const NAMES: &[&str] = &[
    "echo", "printf", "true", "false", ":", "cat", "touch", "rm", "ls", "test", "[", "mkdir",
    "rmdir", "base64", "mv", "cp", "grep", "head", "tail", "wc", "hostname", "uname", "nproc",
    "env", "printenv", "date", "basename", "dirname", "pgrep", "sort", "id", "whoami", "tee",
    "chmod", "chown", "ln", "sync",
];

/// What builtins see of the shell.
pub struct Env<'a> {
    pub fs: &'a Fs,
    pub cwd: &'a str,
    pub vars: &'a BTreeMap<String, String>,
    pub pod: &'a Pod,
    pub now: Timestamp,
}

impl Env<'_> {
    fn path(&self, p: &str) -> String {
        if p.starts_with('/') { p.to_string() } else { format!("{}/{p}", self.cwd) }
    }
}

fn err_text(e: &FsError) -> &'static str {
    match e {
        FsError::NotFound(_) => "No such file or directory",
        FsError::NotADirectory(_) => "Not a directory",
        FsError::IsADirectory(_) => "Is a directory",
        FsError::NotEmpty(_) => "Directory not empty",
        FsError::Exists(_) => "File exists",
    }
}

/// Splits leading `-xyz` flags (until `--` or the first operand) from operands.
fn flags(args: &[String]) -> (String, Vec<&String>) {
    let mut letters = String::new();
    let mut operands = Vec::new();
    let mut done = false;
    for arg in args {
        if !done && arg == "--" {
            done = true;
        } else if !done && arg.len() > 1 && arg.starts_with('-') && !arg.starts_with("--") {
            letters.push_str(&arg[1..]);
        } else if !done && arg.starts_with("--") {
            letters.push_str(match arg.as_str() {
                "--decode" => "d",
                "--quiet" | "--silent" => "q",
                "--recursive" => "r",
                "--force" => "f",
                "--parents" => "p",
                _ => "",
            });
        } else {
            operands.push(arg);
        }
    }
    (letters, operands)
}

pub fn run(env: &Env, name: &str, args: &[String], stdin: &[u8]) -> Option<CommandOutput> {
    Some(match name {
        "true" | ":" | "sync" | "chmod" | "chown" | "ln" => CommandOutput::default(),
        "false" => CommandOutput::code(1),
        "echo" => echo(args),
        "printf" => printf(args),
        "cat" => cat(env, args, stdin),
        "touch" => touch(env, args),
        "rm" => rm(env, args),
        "ls" => ls(env, args),
        "test" => test(env, args),
        "[" => match args.last().map(String::as_str) {
            Some("]") => test(env, &args[..args.len() - 1]),
            _ => CommandOutput::fail(2, "[: missing ]\n"),
        },
        "mkdir" => mkdir(env, args),
        "rmdir" => each(args, "rmdir", "failed to remove", |p| env.fs.rmdir(&env.path(p))),
        "base64" => base64(args, stdin),
        "mv" | "cp" => move_or_copy(env, name, args),
        "grep" => grep(env, args, stdin),
        "head" | "tail" => head_tail(env, name, args, stdin),
        "wc" => wc(args, stdin),
        "hostname" => {
            CommandOutput::ok(format!("{}\n", env.pod.metadata.name.as_deref().unwrap_or("")))
        }
        "uname" => {
            let (f, _) = flags(args);
            CommandOutput::ok(match f.as_str() {
                "r" => "6.8.0-kubesim\n".to_string(),
                "m" => "x86_64\n".to_string(),
                "a" => format!(
                    "Linux {} 6.8.0-kubesim #1 SMP x86_64 GNU/Linux\n",
                    env.pod.metadata.name.as_deref().unwrap_or("")
                ),
                _ => "Linux\n".to_string(),
            })
        }
        "nproc" => CommandOutput::ok("16\n"),
        "env" | "printenv" => match args.first() {
            Some(var) => match env.vars.get(var) {
                Some(v) => CommandOutput::ok(format!("{v}\n")),
                None => CommandOutput::code(1),
            },
            None => CommandOutput::ok(
                env.vars.iter().map(|(k, v)| format!("{k}={v}\n")).collect::<String>(),
            ),
        },
        "date" => {
            let format =
                args.iter().find_map(|a| a.strip_prefix('+')).unwrap_or("%a %b %e %H:%M:%S UTC %Y");
            CommandOutput::ok(format!("{}\n", env.now.strftime(format)))
        }
        "basename" => match args.first() {
            Some(p) => {
                let mut base = p.trim_end_matches('/').rsplit('/').next().unwrap_or("").to_string();
                if let Some(suffix) = args.get(1) {
                    base = base.strip_suffix(suffix.as_str()).unwrap_or(&base).to_string();
                }
                CommandOutput::ok(format!("{base}\n"))
            }
            None => CommandOutput::fail(1, "basename: missing operand\n"),
        },
        "dirname" => match args.first() {
            Some(p) => {
                let trimmed = p.trim_end_matches('/');
                let dir = match trimmed.rfind('/') {
                    Some(0) => "/",
                    Some(i) => &trimmed[..i],
                    None => ".",
                };
                CommandOutput::ok(format!("{dir}\n"))
            }
            None => CommandOutput::fail(1, "dirname: missing operand\n"),
        },
        "pgrep" => CommandOutput::code(1),
        "sort" => {
            let input = read_inputs(env, &flags(args).1, stdin);
            let mut lines: Vec<&str> = input.0.lines().collect();
            lines.sort();
            CommandOutput::ok(lines.iter().map(|l| format!("{l}\n")).collect::<String>())
        }
        "id" => CommandOutput::ok("uid=0(root) gid=0(root) groups=0(root)\n"),
        "whoami" => CommandOutput::ok("root\n"),
        "tee" => {
            let (f, files) = flags(args);
            let mut out = CommandOutput::ok(stdin.to_vec());
            for file in files {
                if let Err(e) = env.fs.write_with(&env.path(file), stdin, f.contains('a')) {
                    out.stderr.extend(format!("tee: {file}: {}\n", err_text(&e)).bytes());
                    out.code = 1;
                }
            }
            out
        }
        _ => return None,
    })
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('\\') => out.push('\\'),
            Some('0') => out.push('\0'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn echo(args: &[String]) -> CommandOutput {
    let mut newline = true;
    let mut escapes = false;
    let mut rest = args;
    while let Some(flag) = rest.first() {
        match flag.as_str() {
            "-n" => newline = false,
            "-e" => escapes = true,
            "-ne" | "-en" => {
                newline = false;
                escapes = true;
            }
            "-E" => escapes = false,
            _ => break,
        }
        rest = &rest[1..];
    }
    let mut text = rest.iter().map(String::as_str).collect::<Vec<_>>().join(" ");
    if escapes {
        text = unescape(&text);
    }
    if newline {
        text.push('\n');
    }
    CommandOutput::ok(text)
}

fn printf(args: &[String]) -> CommandOutput {
    let Some(format) = args.first() else {
        return CommandOutput::fail(1, "printf: usage: printf format [arguments]\n");
    };
    let format = unescape(format);
    let mut values = args[1..].iter();
    let mut out = String::new();
    loop {
        let mut used = false;
        let mut chars = format.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some('%') => out.push('%'),
                Some('s') | Some('d') | Some('i') | Some('u') => {
                    used = true;
                    out.push_str(values.next().map(String::as_str).unwrap_or(""));
                }
                Some(other) => {
                    out.push('%');
                    out.push(other);
                }
                None => out.push('%'),
            }
        }
        if !used || values.len() == 0 {
            break;
        }
    }
    CommandOutput::ok(out)
}

/// Contents of the named files (or stdin for none or `-`), with errors.
fn read_inputs(env: &Env, files: &[&String], stdin: &[u8]) -> (String, Vec<String>) {
    if files.is_empty() {
        return (String::from_utf8_lossy(stdin).into_owned(), Vec::new());
    }
    let mut text = String::new();
    let mut errors = Vec::new();
    for file in files {
        if file.as_str() == "-" {
            text.push_str(&String::from_utf8_lossy(stdin));
            continue;
        }
        match env.fs.read(&env.path(file)) {
            Ok(data) => text.push_str(&String::from_utf8_lossy(&data)),
            Err(e) => errors.push(format!("{file}: {}", err_text(&e))),
        }
    }
    (text, errors)
}

fn cat(env: &Env, args: &[String], stdin: &[u8]) -> CommandOutput {
    let (_, files) = flags(args);
    if files.is_empty() {
        return CommandOutput::ok(stdin.to_vec());
    }
    let mut out = CommandOutput::default();
    for file in files {
        if file.as_str() == "-" {
            out.stdout.extend_from_slice(stdin);
            continue;
        }
        match env.fs.read(&env.path(file)) {
            Ok(data) => out.stdout.extend(data),
            Err(e) => {
                out.stderr.extend(format!("cat: {file}: {}\n", err_text(&e)).bytes());
                out.code = 1;
            }
        }
    }
    out
}

fn each(
    args: &[String],
    program: &str,
    verb: &str,
    mut op: impl FnMut(&str) -> Result<(), FsError>,
) -> CommandOutput {
    let (_, operands) = flags(args);
    if operands.is_empty() {
        return CommandOutput::fail(1, format!("{program}: missing operand\n"));
    }
    let mut out = CommandOutput::default();
    for p in operands {
        if let Err(e) = op(p) {
            out.stderr.extend(format!("{program}: {verb} '{p}': {}\n", err_text(&e)).bytes());
            out.code = 1;
        }
    }
    out
}

fn touch(env: &Env, args: &[String]) -> CommandOutput {
    each(args, "touch", "cannot touch", |p| {
        let full = env.path(p);
        if env.fs.exists(&full) { Ok(()) } else { env.fs.write(&full, b"") }
    })
}

fn rm(env: &Env, args: &[String]) -> CommandOutput {
    let (f, operands) = flags(args);
    let force = f.contains('f');
    let recursive = f.contains('r') || f.contains('R');
    if operands.is_empty() && force {
        return CommandOutput::default();
    }
    each(args, "rm", "cannot remove", |p| match env.fs.remove(&env.path(p), recursive) {
        Err(FsError::NotFound(_)) if force => Ok(()),
        other => other,
    })
}

fn mkdir(env: &Env, args: &[String]) -> CommandOutput {
    let (f, _) = flags(args);
    let parents = f.contains('p');
    each(args, "mkdir", "cannot create directory", |p| {
        if parents { env.fs.mkdir_p(&env.path(p)) } else { env.fs.mkdir(&env.path(p)) }
    })
}

fn ls(env: &Env, args: &[String]) -> CommandOutput {
    let (_, operands) = flags(args);
    let cwd = env.cwd.to_string();
    let targets: Vec<&String> = if operands.is_empty() { vec![&cwd] } else { operands };
    let many = targets.len() > 1;
    let mut out = CommandOutput::default();
    for (i, target) in targets.iter().enumerate() {
        let full = env.path(target);
        if env.fs.is_file(&full) {
            out.stdout.extend(format!("{target}\n").bytes());
            continue;
        }
        match env.fs.list(&full) {
            Ok(names) => {
                if many {
                    if i > 0 {
                        out.stdout.push(b'\n');
                    }
                    out.stdout.extend(format!("{target}:\n").bytes());
                }
                for name in names {
                    out.stdout.extend(format!("{name}\n").bytes());
                }
            }
            Err(e) => {
                out.stderr
                    .extend(format!("ls: cannot access '{target}': {}\n", err_text(&e)).bytes());
                out.code = 2;
            }
        }
    }
    out
}

fn test(env: &Env, args: &[String]) -> CommandOutput {
    match eval_test(env, args) {
        Ok(true) => CommandOutput::code(0),
        Ok(false) => CommandOutput::code(1),
        Err(message) => CommandOutput::fail(2, format!("test: {message}\n")),
    }
}

fn eval_test(env: &Env, args: &[String]) -> Result<bool, String> {
    if let Some(i) = args.iter().position(|a| a == "-o") {
        return Ok(eval_test(env, &args[..i])? || eval_test(env, &args[i + 1..])?);
    }
    if let Some(i) = args.iter().position(|a| a == "-a") {
        return Ok(eval_test(env, &args[..i])? && eval_test(env, &args[i + 1..])?);
    }
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    match a.as_slice() {
        [] => Ok(false),
        ["!", rest @ ..] => Ok(!eval_test(env, &args[args.len() - rest.len()..])?),
        [s] => Ok(!s.is_empty()),
        [op, operand] => {
            let path = env.path(operand);
            match *op {
                "-e" => Ok(env.fs.exists(&path)),
                "-f" => Ok(env.fs.is_file(&path)),
                "-d" => Ok(env.fs.is_dir(&path)),
                "-s" => Ok(env.fs.read(&path).is_ok_and(|d| !d.is_empty())),
                "-r" | "-w" | "-x" => Ok(env.fs.exists(&path)),
                "-L" | "-h" | "-p" | "-S" | "-b" | "-c" => Ok(false),
                "-n" => Ok(!operand.is_empty()),
                "-z" => Ok(operand.is_empty()),
                other => Err(format!("{other}: unary operator expected")),
            }
        }
        [left, op, right] => {
            let ints = || -> Result<(i64, i64), String> {
                let l = left
                    .trim()
                    .parse()
                    .map_err(|_| format!("{left}: integer expression expected"))?;
                let r = right
                    .trim()
                    .parse()
                    .map_err(|_| format!("{right}: integer expression expected"))?;
                Ok((l, r))
            };
            match *op {
                "=" | "==" => Ok(left == right),
                "!=" => Ok(left != right),
                "-eq" => ints().map(|(l, r)| l == r),
                "-ne" => ints().map(|(l, r)| l != r),
                "-lt" => ints().map(|(l, r)| l < r),
                "-le" => ints().map(|(l, r)| l <= r),
                "-gt" => ints().map(|(l, r)| l > r),
                "-ge" => ints().map(|(l, r)| l >= r),
                other => Err(format!("{other}: binary operator expected")),
            }
        }
        _ => Err("too many arguments".into()),
    }
}

fn base64(args: &[String], stdin: &[u8]) -> CommandOutput {
    let (f, _) = flags(args);
    let engine = base64::engine::general_purpose::STANDARD;
    if f.contains('d') {
        let cleaned: Vec<u8> = stdin.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
        match engine.decode(&cleaned) {
            Ok(data) => CommandOutput::ok(data),
            Err(_) => CommandOutput::fail(1, "base64: invalid input\n"),
        }
    } else {
        let encoded = engine.encode(stdin);
        let mut out = String::new();
        for chunk in encoded.as_bytes().chunks(76) {
            out.push_str(&String::from_utf8_lossy(chunk));
            out.push('\n');
        }
        CommandOutput::ok(out)
    }
}

fn move_or_copy(env: &Env, name: &str, args: &[String]) -> CommandOutput {
    let (_, operands) = flags(args);
    let [from, to] = operands.as_slice() else {
        return CommandOutput::fail(1, format!("{name}: missing destination file operand\n"));
    };
    let (from_path, to_path) = (env.path(from), env.path(to));
    let result = if name == "mv" {
        env.fs.rename(&from_path, &to_path)
    } else {
        env.fs.read(&from_path).and_then(|data| {
            let target = if env.fs.is_dir(&to_path) {
                format!("{to_path}/{}", from_path.rsplit('/').next().unwrap_or(""))
            } else {
                to_path.clone()
            };
            env.fs.write(&target, data)
        })
    };
    match result {
        Ok(()) => CommandOutput::default(),
        Err(e) => {
            CommandOutput::fail(1, format!("{name}: cannot stat '{from}': {}\n", err_text(&e)))
        }
    }
}

fn grep(env: &Env, args: &[String], stdin: &[u8]) -> CommandOutput {
    let mut letters = String::new();
    let mut pattern: Option<String> = None;
    let mut files: Vec<&String> = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        if arg == "-e" {
            pattern = args.get(i + 1).cloned();
            i += 2;
            continue;
        }
        if arg.len() > 1 && arg.starts_with('-') {
            letters.push_str(&arg[1..]);
        } else if pattern.is_none() {
            pattern = Some(arg.clone());
        } else {
            files.push(arg);
        }
        i += 1;
    }
    let Some(pattern) = pattern else {
        return CommandOutput::fail(2, "Usage: grep [OPTION]... PATTERNS [FILE]...\n");
    };
    let mut source = if letters.contains('F') {
        regex::escape(&pattern)
    } else if letters.contains('E') {
        pattern.clone()
    } else {
        // Basic regular expressions: \| \( \) are the operators, bare ones are literal.
        pattern
            .replace("\\|", "\u{1}")
            .replace("\\(", "\u{2}")
            .replace("\\)", "\u{3}")
            .replace('|', "\\|")
            .replace('(', "\\(")
            .replace(')', "\\)")
            .replace('+', "\\+")
            .replace('?', "\\?")
            .replace('\u{1}', "|")
            .replace('\u{2}', "(")
            .replace('\u{3}', ")")
    };
    if letters.contains('x') {
        source = format!("^(?:{source})$");
    } else if letters.contains('w') {
        source = format!("\\b(?:{source})\\b");
    }
    if letters.contains('i') {
        source = format!("(?i){source}");
    }
    let Ok(re) = regex::Regex::new(&source) else {
        return CommandOutput::fail(2, format!("grep: invalid regular expression '{pattern}'\n"));
    };
    let (text, errors) = read_inputs(env, &files, stdin);
    let invert = letters.contains('v');
    let matched: Vec<&str> = text.lines().filter(|l| re.is_match(l) != invert).collect();
    let mut out = CommandOutput::default();
    for e in &errors {
        out.stderr.extend(format!("grep: {e}\n").bytes());
    }
    if !letters.contains('q') {
        if letters.contains('c') {
            out.stdout = format!("{}\n", matched.len()).into_bytes();
        } else if letters.contains('o') {
            for line in &matched {
                for m in re.find_iter(line) {
                    out.stdout.extend(format!("{}\n", m.as_str()).bytes());
                }
            }
        } else {
            for line in &matched {
                out.stdout.extend(format!("{line}\n").bytes());
            }
        }
    }
    out.code = if !errors.is_empty() && !letters.contains('s') {
        2
    } else if matched.is_empty() {
        1
    } else {
        0
    };
    out
}

fn head_tail(env: &Env, name: &str, args: &[String], stdin: &[u8]) -> CommandOutput {
    let mut count = 10usize;
    let mut files = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        if arg == "-n" {
            count =
                args.get(i + 1).and_then(|n| n.trim_start_matches('+').parse().ok()).unwrap_or(10);
            i += 2;
            continue;
        }
        if let Some(n) = arg.strip_prefix('-').and_then(|n| n.strip_prefix('n').or(Some(n)))
            && let Ok(n) = n.parse()
        {
            count = n;
            i += 1;
            continue;
        }
        files.push(arg);
        i += 1;
    }
    let (text, errors) = read_inputs(env, &files, stdin);
    let lines: Vec<&str> = text.lines().collect();
    let chosen = if name == "head" {
        &lines[..count.min(lines.len())]
    } else {
        &lines[lines.len().saturating_sub(count)..]
    };
    let mut out = CommandOutput::ok(chosen.iter().map(|l| format!("{l}\n")).collect::<String>());
    if !errors.is_empty() {
        out.code = 1;
        for e in errors {
            out.stderr.extend(format!("{name}: cannot open '{e}'\n").bytes());
        }
    }
    out
}

fn wc(args: &[String], stdin: &[u8]) -> CommandOutput {
    let (f, _) = flags(args);
    let text = String::from_utf8_lossy(stdin);
    let lines = text.matches('\n').count();
    let words = text.split_whitespace().count();
    let bytes = stdin.len();
    CommandOutput::ok(match f.as_str() {
        "l" => format!("{lines}\n"),
        "w" => format!("{words}\n"),
        "c" => format!("{bytes}\n"),
        _ => format!("{lines} {words} {bytes}\n"),
    })
}
