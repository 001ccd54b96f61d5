//! Python `re` patterns (the `matches` operator, policies §5.5) run on the `regex` crate, which
//! guarantees linear-time matching. A pattern is translated to the crate's syntax where the two
//! differ, so it means what it means to Python:
//! * `\Z` → `\z`; `$` (outside MULTILINE) also matches before a final newline → `(?:\n?\z)`;
//! * `\xhh`, `\uhhhh`, `\Uhhhhhhhh`, octal escapes and escaped punctuation → `\x{…}`;
//!   `\b` inside a set is a backspace;
//! * `{` that is not a repetition is a literal; `{,n}` is `{0,n}`;
//! * in sets, `[`, `&` and `~` are literals (the crate would read nested sets / set operations);
//! * the inline flags `i`, `m`, `s`, `x` carry over, `u` is dropped; `(?#…)` comments are dropped.
//!
//! Python features the crate cannot run are rejected when the policy is compiled, with a clear
//! message: backreferences (`\1`, `(?P=name)`), lookahead and lookbehind (`(?=`, `(?!`, `(?<=`,
//! `(?<!`), atomic groups (`(?>…)`), possessive quantifiers (`*+`, `++`, `?+`, `{m,n}+`),
//! conditional groups (`(?(1)…)`), named Unicode escapes (`\N{…}`) and the ASCII / LOCALE
//! flags (`(?a)`, `(?L)`). Like Python, global flags must start the pattern.
//! Known remaining differences: `\w`, `\s` and case-insensitive matching use the crate's Unicode
//! tables, which differ from Python's in a few rare characters.

use regex::{Regex, RegexBuilder};

fn hex_char(text: &str) -> Option<char> {
    u32::from_str_radix(text, 16).ok().and_then(char::from_u32)
}

fn push_char(out: &mut String, c: char) {
    out.push_str(&format!("\\x{{{:x}}}", c as u32));
}

struct Translator {
    chars: Vec<char>,
    pos: usize,
    out: String,
    /// MULTILINE per open group (index 0: the whole pattern).
    multiline: Vec<bool>,
    /// Only global flag groups have been seen so far.
    at_start: bool,
}

impl Translator {
    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.pos + ahead).copied()
    }

    /// After `\` (pos at the escaped char). `in_set`: inside `[...]`.
    fn escape(&mut self, in_set: bool) -> Result<(), String> {
        let Some(c) = self.peek(0) else {
            return Err("bad escape (end of pattern)".into());
        };
        self.pos += 1;
        match c {
            '0'..='7' => {
                // Octal: `\0`, `\0oo`, or three octal digits; other digits are backreferences.
                let mut digits = String::from(c);
                let octal3 = self.peek(0).is_some_and(|d| d.is_digit(8))
                    && self.peek(1).is_some_and(|d| d.is_digit(8));
                if c == '0' {
                    while digits.len() < 3 && self.peek(0).is_some_and(|d| d.is_digit(8)) {
                        digits.push(self.peek(0).unwrap_or('0'));
                        self.pos += 1;
                    }
                } else if octal3 {
                    for _ in 0..2 {
                        digits.push(self.peek(0).unwrap_or('0'));
                        self.pos += 1;
                    }
                } else if in_set {
                    return Err(format!("bad escape \\{c}"));
                } else {
                    return Err("backreferences are not supported".into());
                }
                let v = u32::from_str_radix(&digits, 8).unwrap_or(0);
                if v > 0o377 {
                    return Err(format!(
                        "octal escape value \\{digits} outside of range 0-0o377"
                    ));
                }
                push_char(&mut self.out, char::from_u32(v).unwrap_or('\0'));
            }
            '8' | '9' => {
                if in_set {
                    return Err(format!("bad escape \\{c}"));
                }
                return Err("backreferences are not supported".into());
            }
            'x' | 'u' | 'U' => {
                let n = match c {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let text: String = (0..n).filter_map(|i| self.peek(i)).collect();
                if text.chars().count() != n || !text.chars().all(|d| d.is_ascii_hexdigit()) {
                    return Err(format!("incomplete escape \\{c}{text}"));
                }
                self.pos += n;
                let ch = hex_char(&text).ok_or_else(|| format!("bad escape \\{c}{text}"))?;
                push_char(&mut self.out, ch);
            }
            'N' => return Err("named Unicode escapes (\\N{...}) are not supported".into()),
            'b' if in_set => push_char(&mut self.out, '\u{8}'),
            'A' | 'Z' | 'b' | 'B' if in_set => return Err(format!("bad escape \\{c}")),
            'Z' => self.out.push_str("\\z"),
            'A' | 'b' | 'B' | 'd' | 'D' | 's' | 'S' | 'w' | 'W' | 'a' | 'f' | 'n' | 'r' | 't'
            | 'v' => {
                self.out.push('\\');
                self.out.push(c);
            }
            c if c.is_ascii_alphabetic() => return Err(format!("bad escape \\{c}")),
            c => push_char(&mut self.out, c),
        }
        Ok(())
    }

    fn set(&mut self) -> Result<(), String> {
        // pos is just after `[`.
        self.out.push('[');
        if self.peek(0) == Some('^') {
            self.out.push('^');
            self.pos += 1;
        }
        if self.peek(0) == Some(']') {
            self.out.push_str("\\]");
            self.pos += 1;
        }
        loop {
            let Some(c) = self.peek(0) else {
                return Err("unterminated character set".into());
            };
            self.pos += 1;
            match c {
                ']' => {
                    self.out.push(']');
                    return Ok(());
                }
                '\\' => self.escape(true)?,
                '[' | '&' | '~' => push_char(&mut self.out, c),
                c => self.out.push(c),
            }
        }
    }

    /// A `{...}` repetition at pos (on `{`): `Some((min, max))` or None for a literal `{`.
    fn repetition(&self) -> Option<(String, Option<String>, usize)> {
        let mut i = self.pos + 1;
        let mut lo = String::new();
        while let Some(d) = self.chars.get(i).filter(|d| d.is_ascii_digit()) {
            lo.push(*d);
            i += 1;
        }
        let hi = if self.chars.get(i) == Some(&',') {
            i += 1;
            let mut h = String::new();
            while let Some(d) = self.chars.get(i).filter(|d| d.is_ascii_digit()) {
                h.push(*d);
                i += 1;
            }
            if h.is_empty() { None } else { Some(h) }
        } else {
            if lo.is_empty() {
                return None;
            }
            Some(lo.clone())
        };
        if self.chars.get(i) != Some(&'}') {
            return None;
        }
        Some((lo, hi, i + 1 - self.pos))
    }

    /// After a quantifier: a lazy `?` is fine; `+` (possessive) and another repeat are not.
    fn after_quantifier(&mut self) -> Result<(), String> {
        if self.peek(0) == Some('?') {
            self.out.push('?');
            self.pos += 1;
        }
        match self.peek(0) {
            Some('+') => Err("possessive quantifiers are not supported".into()),
            Some('*') => Err("multiple repeat".into()),
            Some('{') if self.repetition().is_some() => Err("multiple repeat".into()),
            _ => Ok(()),
        }
    }

    fn group(&mut self) -> Result<(), String> {
        // pos is just after `(`.
        let inherited = self.multiline.last().copied().unwrap_or(false);
        if self.peek(0) != Some('?') {
            self.out.push('(');
            self.multiline.push(inherited);
            self.at_start = false;
            return Ok(());
        }
        self.pos += 1;
        let Some(c) = self.peek(0) else {
            return Err("unexpected end of pattern".into());
        };
        match c {
            ':' => {
                self.pos += 1;
                self.out.push_str("(?:");
                self.multiline.push(inherited);
            }
            'P' if self.peek(1) == Some('<') => {
                self.pos += 2;
                let mut name = String::new();
                while let Some(n) = self.peek(0).filter(|n| *n != '>') {
                    name.push(n);
                    self.pos += 1;
                }
                if self.peek(0) != Some('>') || name.is_empty() {
                    return Err("missing group name".into());
                }
                self.pos += 1;
                self.out.push_str(&format!("(?P<{name}>"));
                self.multiline.push(inherited);
            }
            'P' if self.peek(1) == Some('=') => {
                return Err("backreferences are not supported".into());
            }
            '=' | '!' => return Err("lookahead assertions are not supported".into()),
            '<' if matches!(self.peek(1), Some('=') | Some('!')) => {
                return Err("lookbehind assertions are not supported".into());
            }
            '>' => return Err("atomic groups are not supported".into()),
            '(' => return Err("conditional groups are not supported".into()),
            '#' => {
                while let Some(n) = self.peek(0) {
                    self.pos += 1;
                    if n == ')' {
                        return Ok(());
                    }
                }
                return Err("missing ), unterminated comment".into());
            }
            _ => return self.flags(inherited),
        }
        self.at_start = false;
        Ok(())
    }

    fn flags(&mut self, inherited: bool) -> Result<(), String> {
        let mut on = String::new();
        let mut off = String::new();
        let mut negative = false;
        let mut multiline = inherited;
        loop {
            let Some(c) = self.peek(0) else {
                return Err("missing -, : or )".into());
            };
            self.pos += 1;
            match c {
                'i' | 'm' | 's' | 'x' => {
                    if c == 'm' {
                        multiline = !negative;
                    }
                    if negative {
                        off.push(c);
                    } else {
                        on.push(c);
                    }
                }
                'u' => {}
                'a' | 'L' => {
                    return Err("the ASCII and LOCALE flags are not supported".into());
                }
                '-' if !negative => negative = true,
                ')' if !negative => {
                    // Global flags: Python allows them only at the start.
                    if !self.at_start {
                        return Err("global flags not at the start of the expression".into());
                    }
                    if !on.is_empty() {
                        self.out.push_str(&format!("(?{on})"));
                    }
                    if let Some(m) = self.multiline.first_mut() {
                        *m = multiline;
                    }
                    return Ok(());
                }
                ':' => {
                    self.out.push_str("(?");
                    self.out.push_str(&on);
                    if !off.is_empty() {
                        self.out.push('-');
                        self.out.push_str(&off);
                    }
                    self.out.push(':');
                    self.multiline.push(multiline);
                    self.at_start = false;
                    return Ok(());
                }
                other => return Err(format!("unknown extension ?{other}")),
            }
        }
    }

    fn run(mut self) -> Result<String, String> {
        while let Some(c) = self.peek(0) {
            self.pos += 1;
            match c {
                '\\' => {
                    self.at_start = false;
                    self.escape(false)?;
                }
                '[' => {
                    self.at_start = false;
                    self.set()?;
                }
                '(' => self.group()?,
                ')' => {
                    if self.multiline.len() <= 1 {
                        return Err("unbalanced parenthesis".into());
                    }
                    self.multiline.pop();
                    self.out.push(')');
                }
                '$' => {
                    self.at_start = false;
                    if self.multiline.last().copied().unwrap_or(false) {
                        self.out.push('$');
                    } else {
                        self.out.push_str("(?:\\n?\\z)");
                    }
                }
                '*' | '+' | '?' => {
                    self.at_start = false;
                    self.out.push(c);
                    self.after_quantifier()?;
                }
                '{' => {
                    self.at_start = false;
                    self.pos -= 1;
                    match self.repetition() {
                        Some((lo, hi, len)) => {
                            self.pos += len;
                            let lo = if lo.is_empty() { "0".to_string() } else { lo };
                            match hi {
                                Some(h) => self.out.push_str(&format!("{{{lo},{h}}}")),
                                None => self.out.push_str(&format!("{{{lo},}}")),
                            }
                            self.after_quantifier()?;
                        }
                        None => {
                            self.pos += 1;
                            self.out.push_str("\\{");
                        }
                    }
                }
                '}' => {
                    self.at_start = false;
                    self.out.push_str("\\}");
                }
                c => {
                    self.at_start = false;
                    self.out.push(c);
                }
            }
        }
        if self.multiline.len() > 1 {
            return Err("missing ), unterminated subpattern".into());
        }
        Ok(self.out)
    }
}

/// The `regex` crate form of a Python pattern, or Python-like error text.
pub fn translate(pattern: &str) -> Result<String, String> {
    Translator {
        chars: pattern.chars().collect(),
        pos: 0,
        out: String::with_capacity(pattern.len() + 8),
        multiline: vec![false],
        at_start: true,
    }
    .run()
}

/// The first line of a `regex` syntax error that says what is wrong.
fn crate_error(e: regex::Error) -> String {
    match e {
        regex::Error::Syntax(text) => text
            .lines()
            .find_map(|l| l.trim().strip_prefix("error: "))
            .unwrap_or("invalid syntax")
            .to_string(),
        regex::Error::CompiledTooBig(_) => "the compiled pattern is too large".into(),
        _ => "invalid pattern".into(),
    }
}

/// Compiles a Python pattern for `re.search` (unanchored), optionally case-insensitive.
pub fn compile(pattern: &str, ignore_case: bool) -> Result<Regex, String> {
    let translated = translate(pattern)?;
    RegexBuilder::new(&translated)
        .case_insensitive(ignore_case)
        .size_limit(1 << 22)
        .build()
        .map_err(crate_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(p: &str, s: &str) -> bool {
        compile(p, false).map(|r| r.is_match(s)).unwrap_or(false)
    }

    #[test]
    fn python_semantics() {
        assert!(search(r"^\w+\.\w+@", "Jane.Doe@Example.com"));
        assert!(!search(r"^JANE\D", "Jane.Doe@Example.com"));
        assert!(compile(r"^JANE\D", true).is_ok_and(|r| r.is_match("Jane.Doe")));
        assert!(search("a$", "a\n"), "$ matches before a final newline");
        assert!(!search("a$", "a\nb"));
        assert!(search("(?m)a$", "a\nb"));
        assert!(!search(r"a\Z", "a\n"));
        assert!(search("a{", "a{"), "a literal brace");
        assert!(search("x{,2}y", "xxy"));
        assert!(search(r"[[]", "["));
        assert!(search(r"[a&&b]", "&"));
        assert!(search(r"\x41\u0042\101", "ABA"));
        assert!(search(r"\<", "<"));
        assert!(search(r"[\b]", "\u{8}"));
        assert!(search("(?#comment)a", "a"));
        assert!(search("(?i)straSSe", "STRASSE"));
        assert!(search(
            "@(example\\.org|example\\.net)$",
            "jane@example.org"
        ));
    }

    #[test]
    fn rejects_what_the_crate_cannot_do() {
        for p in [
            r"(a)\1",
            r"(?P<x>a)(?P=x)",
            r"a(?=b)",
            r"a(?!b)",
            r"(?<=a)b",
            r"(?<!a)b",
            r"(?>a)",
            r"a*+",
            r"a++",
            r"a{1,2}+",
            r"(a)?(?(1)b)",
            r"\N{DIGIT ONE}",
            r"(?a)\w",
            r"a(?i)",
            "(",
            ")",
            "[a",
            r"\q",
            "*a",
            "a**",
        ] {
            assert!(compile(p, false).is_err(), "{p} must be rejected");
        }
    }
}
