//! A small option parser: `--opt VALUE`, `--opt=VALUE`, `-o VALUE`, flags and
//! positionals; no dependencies.

use std::collections::HashMap;

/// Parsed arguments of one command.
#[derive(Debug, Default)]
pub struct Args {
    values: HashMap<&'static str, Vec<String>>,
    /// Option names in command-line order, for options whose order matters.
    pub order: Vec<(&'static str, String)>,
    flags: Vec<&'static str>,
    pub positional: Vec<String>,
    pub help: bool,
}

/// Option spec: (names, canonical name, takes a value).
pub type Spec = &'static [(&'static [&'static str], &'static str, bool)];

impl Args {
    /// Parses `argv` against `spec`; the error is the usage message.
    pub fn parse(argv: &[String], spec: Spec) -> Result<Args, String> {
        let mut a = Args::default();
        let mut i = 0;
        while i < argv.len() {
            let arg = &argv[i];
            i += 1;
            if arg == "-h" || arg == "--help" {
                a.help = true;
                continue;
            }
            if arg == "--" {
                a.positional.extend(argv[i..].iter().cloned());
                break;
            }
            if !arg.starts_with('-') || arg == "-" {
                a.positional.push(arg.clone());
                continue;
            }
            let (name, inline) = match arg.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
                _ => (arg.as_str(), None),
            };
            let Some(&(_, canon, takes)) = spec.iter().find(|(names, _, _)| names.contains(&name))
            else {
                return Err(format!("unknown option '{name}'"));
            };
            if takes {
                let v = match inline {
                    Some(v) => v,
                    None => {
                        let Some(v) = argv.get(i) else {
                            return Err(format!("option '{name}' needs a value"));
                        };
                        i += 1;
                        v.clone()
                    }
                };
                a.values.entry(canon).or_default().push(v.clone());
                a.order.push((canon, v));
            } else {
                if inline.is_some() {
                    return Err(format!("option '{name}' takes no value"));
                }
                a.flags.push(canon);
            }
        }
        Ok(a)
    }

    pub fn all(&self, name: &str) -> &[String] {
        self.values.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The single value of `name`; an error if given more than once.
    pub fn one(&self, name: &str) -> Result<Option<&str>, String> {
        match self.all(name) {
            [] => Ok(None),
            [v] => Ok(Some(v)),
            _ => Err(format!("option '--{name}' given more than once")),
        }
    }

    pub fn flag(&self, name: &str) -> bool {
        self.flags.contains(&name)
    }
}

/// One command's front matter: its name, usage line, help text and options.
pub struct Command {
    pub name: &'static str,
    pub usage: &'static str,
    pub help: &'static str,
    pub spec: Spec,
}

impl Command {
    /// The parsed arguments to run with, or the status to exit with when
    /// there is nothing to run (`--help` printed, or a usage error reported).
    pub fn parse(&self, argv: &[String]) -> Result<Args, crate::Status> {
        let a = Args::parse(argv, self.spec).map_err(|e| self.usage_error(&e))?;
        if a.help {
            print!("{}", self.help);
            return Err(crate::Status::Ok);
        }
        Ok(a)
    }

    /// Reports a usage error (exit status 2).
    pub fn usage_error(&self, e: &str) -> crate::Status {
        eprintln!(
            "espcert {}: {e}\nUsage: {}  (espcert {} --help)",
            self.name, self.usage, self.name
        );
        crate::Status::Usage
    }
}
