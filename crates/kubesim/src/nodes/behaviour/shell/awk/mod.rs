//! `awk`, the subset scripts use to pick and print fields: rules of an optional pattern
//! (`BEGIN`, `END`, `/re/`, `NR==1`, `$1=="x"`, `$2 ~ /re/`, `&&`, `||`, `!`) and an action of
//! `print` / `printf` statements; expressions over fields (`$1`, `$NF`, `$(NF-1)`, `$0`), `NR`,
//! `NF`, `-v` variables, numbers and string literals, concatenation and `+ - * /`. `-F` sets
//! the field separator (a single space means runs of blanks, as in awk).

mod eval;
mod parse;

use std::collections::BTreeMap;

use super::super::{CommandOutput, Fs};
use eval::State;
use parse::Parser;

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
    out.stdout = State::new(vars, separator).run(&program, &input).into_bytes();
    out
}

fn unescape_separator(sep: &str) -> String {
    match sep {
        "\\t" | "t" => "\t".to_string(),
        "" => " ".to_string(),
        other => other.to_string(),
    }
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
        let deep = format!("{{print {}1{}}}", "(".repeat(5000), ")".repeat(5000));
        let negations = format!("{{print {}1}}", "!".repeat(5000));
        let fields = format!("{{print {}1}}", "$".repeat(5000));
        let chain = format!("{{print 1{}}}", " + 1".repeat(50_000));
        for program in ["{print $1", "{frobnicate}", "/unterminated", "\"x", "BEGIN", "{print (}"]
            .into_iter()
            .chain([deep.as_str(), negations.as_str(), fields.as_str(), chain.as_str()])
        {
            let out = awk(&[program], "a b\n");
            assert_eq!(out.code, 2, "{program}");
        }
        assert_eq!(awk(&[], "").code, 2);
        assert_eq!(awk(&["-F"], "").code, 2);
        assert_eq!(awk(&["{print}", "/missing"], "").code, 2);
    }
}
