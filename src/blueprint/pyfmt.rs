//! Python's printf-style `%` formatting (`fmt % tuple(args)`), as `!Format` uses it.
//! Errors carry Python's TypeError/ValueError texts.

use super::value::Val;

/// Widths and precisions beyond this are refused (they would only allocate).
const MAX_WIDTH: usize = 10_000;

#[derive(Default)]
struct Spec {
    left: bool,
    zero: bool,
    plus: bool,
    space: bool,
    alt: bool,
    width: usize,
    precision: Option<usize>,
}

/// `fmt % tuple(args)`.
pub fn format(fmt: &str, args: &[Val]) -> Result<String, String> {
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::with_capacity(fmt.len());
    let mut next = 0usize;
    let take = |next: &mut usize| -> Result<Val, String> {
        let v = args
            .get(*next)
            .cloned()
            .ok_or_else(|| "not enough arguments for format string".to_string())?;
        *next += 1;
        Ok(v)
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        let Some(&first) = chars.get(i) else {
            return Err("incomplete format".into());
        };
        if first == '(' {
            // A mapping key needs a dict argument; authentik always passes a tuple.
            return Err("format requires a mapping".into());
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.get(i) {
            match f {
                '-' => spec.left = true,
                '0' => spec.zero = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '#' => spec.alt = true,
                _ => break,
            }
            i += 1;
        }
        if chars.get(i) == Some(&'*') {
            let w = int_arg(&take(&mut next)?, "* wants int")?;
            if w < 0 {
                spec.left = true;
            }
            spec.width = w.unsigned_abs() as usize;
            i += 1;
        } else {
            spec.width = digits(&chars, &mut i)?;
        }
        if chars.get(i) == Some(&'.') {
            i += 1;
            if chars.get(i) == Some(&'*') {
                let p = int_arg(&take(&mut next)?, "* wants int")?;
                spec.precision = Some(p.max(0) as usize);
                i += 1;
            } else {
                spec.precision = Some(digits(&chars, &mut i)?);
            }
        }
        if spec.width > MAX_WIDTH || spec.precision.unwrap_or(0) > MAX_WIDTH {
            return Err("width or precision too big".into());
        }
        while matches!(chars.get(i), Some('h' | 'l' | 'L')) {
            i += 1;
        }
        let Some(&conv) = chars.get(i) else {
            return Err("incomplete format".into());
        };
        i += 1;
        if conv == '%' {
            out.push('%');
            continue;
        }
        let arg = take(&mut next)?;
        let text = convert(conv, &arg, &spec, start)?;
        out.push_str(&pad(text, &spec, conv));
    }
    if next < args.len() {
        return Err("not all arguments converted during string formatting".into());
    }
    Ok(out)
}

fn digits(chars: &[char], i: &mut usize) -> Result<usize, String> {
    let mut n: usize = 0;
    while let Some(d) = chars.get(*i).and_then(|c| c.to_digit(10)) {
        n = n.saturating_mul(10).saturating_add(d as usize);
        *i += 1;
    }
    Ok(n)
}

fn int_arg(v: &Val, msg: &str) -> Result<i64, String> {
    match v {
        Val::Int(i) => Ok(*i),
        Val::Bool(b) => Ok(*b as i64),
        _ => Err(msg.to_string()),
    }
}

fn convert(conv: char, arg: &Val, spec: &Spec, at: usize) -> Result<String, String> {
    Ok(match conv {
        's' | 'r' | 'a' => {
            let s = if conv == 's' {
                arg.py_str()
            } else {
                arg.py_repr()
            };
            match spec.precision {
                Some(p) => s.chars().take(p).collect(),
                None => s,
            }
        }
        'd' | 'i' | 'u' => {
            let n = match arg {
                Val::Int(i) => *i,
                Val::Bool(b) => *b as i64,
                // Python truncates floats for %d.
                Val::Float(f) if f.is_finite() => f.trunc() as i64,
                Val::Float(_) => {
                    return Err("cannot convert float infinity or NaN to integer".into());
                }
                other => {
                    return Err(format!(
                        "%{conv} format: a real number is required, not {}",
                        other.type_name()
                    ));
                }
            };
            sign(n < 0, n.unsigned_abs().to_string(), spec)
        }
        'x' | 'X' | 'o' => {
            let n = match arg {
                Val::Int(i) => *i,
                Val::Bool(b) => *b as i64,
                other => {
                    return Err(format!(
                        "%{conv} format: an integer is required, not {}",
                        other.type_name()
                    ));
                }
            };
            let abs = n.unsigned_abs();
            let body = match conv {
                'x' => format!("{}{abs:x}", if spec.alt { "0x" } else { "" }),
                'X' => format!("{}{abs:X}", if spec.alt { "0X" } else { "" }),
                _ => format!("{}{abs:o}", if spec.alt { "0o" } else { "" }),
            };
            sign(n < 0, body, spec)
        }
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
            let f = match arg {
                Val::Int(i) => *i as f64,
                Val::Bool(b) => *b as i64 as f64,
                Val::Float(f) => *f,
                other => {
                    return Err(format!("must be real number, not {}", other.type_name()));
                }
            };
            let body = float_body(f.abs(), conv, spec.precision.unwrap_or(6), spec.alt);
            sign(f.is_sign_negative() && !f.is_nan(), body, spec)
        }
        'c' => match arg {
            Val::Int(i) => char::from_u32(*i as u32)
                .filter(|_| *i >= 0)
                .map(String::from)
                .ok_or_else(|| "%c arg not in range(0x110000)".to_string())?,
            Val::Str(s) if s.chars().count() == 1 => s.clone(),
            _ => return Err("%c requires an int or a unicode character".into()),
        },
        other => {
            return Err(format!(
                "unsupported format character '{other}' (0x{:x}) at index {}",
                other as u32,
                at + 1
            ));
        }
    })
}

fn sign(negative: bool, body: String, spec: &Spec) -> String {
    let prefix = if negative {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    format!("{prefix}{body}")
}

fn float_body(f: f64, conv: char, precision: usize, alt: bool) -> String {
    if f.is_nan() {
        return if conv.is_uppercase() { "NAN" } else { "nan" }.into();
    }
    if f.is_infinite() {
        return if conv.is_uppercase() { "INF" } else { "inf" }.into();
    }
    let upper = conv.is_uppercase();
    let s = match conv.to_ascii_lowercase() {
        'f' => format!("{f:.precision$}"),
        'e' => exp_form(f, precision),
        _ => {
            // %g: precision significant digits, fixed or exponent form by the exponent.
            let p = precision.max(1);
            let e = exp_form(f, p - 1);
            let exp: i32 = e
                .split_once('e')
                .and_then(|(_, x)| x.parse().ok())
                .unwrap_or(0);
            let s = if exp < -4 || exp >= p as i32 {
                e
            } else {
                let decimals = (p as i32 - 1 - exp).max(0) as usize;
                format!("{f:.decimals$}")
            };
            if alt { s } else { strip_zeros(&s) }
        }
    };
    if upper { s.to_uppercase() } else { s }
}

/// `d.ddde+XX` as C and Python write it (at least two exponent digits).
fn exp_form(f: f64, precision: usize) -> String {
    let s = format!("{f:.precision$e}");
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let esign = if exp < 0 { '-' } else { '+' };
    format!("{mant}e{esign}{:02}", exp.abs())
}

fn strip_zeros(s: &str) -> String {
    let (mant, exp) = match s.split_once('e') {
        Some((m, e)) => (m, Some(e)),
        None => (s, None),
    };
    let mant = if mant.contains('.') {
        mant.trim_end_matches('0').trim_end_matches('.')
    } else {
        mant
    };
    match exp {
        Some(e) => format!("{mant}e{e}"),
        None => mant.to_string(),
    }
}

fn pad(text: String, spec: &Spec, conv: char) -> String {
    let len = text.chars().count();
    if len >= spec.width {
        return text;
    }
    let fill = spec.width - len;
    if spec.left {
        return format!("{text}{}", " ".repeat(fill));
    }
    let numeric = !matches!(conv, 's' | 'r' | 'a' | 'c');
    if spec.zero && numeric {
        // Zeros go between the sign (and 0x prefix) and the digits.
        let sign_len = text
            .chars()
            .take_while(|c| matches!(c, '-' | '+' | ' '))
            .count();
        let (head, tail) = text.split_at(sign_len);
        let (prefix, digits) = if tail.len() > 2 && matches!(&tail[..2], "0x" | "0X" | "0o") {
            tail.split_at(2)
        } else {
            ("", tail)
        };
        return format!("{head}{prefix}{}{digits}", "0".repeat(fill));
    }
    format!("{}{text}", " ".repeat(fill))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(fmt: &str, args: &[Val]) -> Result<String, String> {
        format(fmt, args)
    }

    #[test]
    fn common_conversions() {
        assert_eq!(
            f("%s-suffix", &[Val::str("abc")]).as_deref(),
            Ok("abc-suffix")
        );
        assert_eq!(
            f("%s %s %s", &[Val::None, Val::Bool(true), Val::Float(1.0)]).as_deref(),
            Ok("None True 1.0")
        );
        assert_eq!(f("%r", &[Val::str("x")]).as_deref(), Ok("'x'"));
        assert_eq!(f("%d%%", &[Val::Float(12.9)]).as_deref(), Ok("12%"));
        assert_eq!(
            f(
                "%05d|%-4s|%4s",
                &[Val::Int(-42), Val::str("a"), Val::str("b")]
            )
            .as_deref(),
            Ok("-0042|a   |   b")
        );
        assert_eq!(
            f("%x %#X %o", &[Val::Int(255), Val::Int(255), Val::Int(8)]).as_deref(),
            Ok("ff 0XFF 10")
        );
        assert_eq!(
            f("%.2f %e", &[Val::Float(1.23456), Val::Int(1)]).as_deref(),
            Ok("1.23 1.000000e+00")
        );
        assert_eq!(
            f(
                "%g %g %g",
                &[Val::Float(0.0001), Val::Float(1e20), Val::Int(100)]
            )
            .as_deref(),
            Ok("0.0001 1e+20 100")
        );
        assert_eq!(f("%.3s", &[Val::str("abcdef")]).as_deref(), Ok("abc"));
        assert_eq!(f("%*d", &[Val::Int(4), Val::Int(7)]).as_deref(), Ok("   7"));
        assert_eq!(
            f("%s", &[Val::List(vec![Val::str("a")])]).as_deref(),
            Ok("['a']")
        );
    }

    #[test]
    fn python_type_errors() {
        assert_eq!(
            f("%s %s", &[Val::str("a")]),
            Err("not enough arguments for format string".into())
        );
        assert_eq!(
            f("%s", &[Val::str("a"), Val::str("b")]),
            Err("not all arguments converted during string formatting".into())
        );
        assert_eq!(
            f("%d", &[Val::str("a")]),
            Err("%d format: a real number is required, not str".into())
        );
        assert_eq!(f("%(x)s", &[]), Err("format requires a mapping".into()));
        assert!(f("%", &[]).is_err());
        assert!(f("%z", &[Val::Int(1)]).is_err());
        assert!(f("%99999999s", &[Val::Int(1)]).is_err());
    }
}
