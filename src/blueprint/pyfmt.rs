//! Python's printf-style `%` formatting (`fmt % tuple(args)`), as `!Format` uses it. The spec,
//! string and integer conversions and padding are `crate::python::percent` (shared with launch
//! URLs); the float conversions and `%c` are here, so that their formatting code stays out of
//! the core module. Errors carry Python's TypeError/ValueError texts.

use super::value::Val;
use crate::python::percent::{self, Number, PercentArg, Spec};

impl PercentArg for Val {
    fn py_str(&self) -> String {
        Val::py_str(self)
    }
    fn py_repr(&self) -> String {
        Val::py_repr(self)
    }
    fn py_ascii(&self) -> String {
        Val::py_ascii(self)
    }
    fn number(&self) -> Option<Number> {
        match self {
            Val::Int(i) => Some(Number::Int(i128::from(*i))),
            Val::Bool(b) => Some(Number::Int(i128::from(*b))),
            Val::Float(f) => Some(Number::Float(*f)),
            _ => None,
        }
    }
    fn type_name(&self) -> &'static str {
        Val::type_name(self)
    }
}

/// `fmt % tuple(args)`.
pub fn format(fmt: &str, args: &[Val]) -> Result<String, String> {
    let chars: Vec<char> = fmt.chars().collect();
    let mut out = String::with_capacity(fmt.len());
    let mut next = 0usize;
    let mut take = || -> Result<&Val, String> {
        let v = args
            .get(next)
            .ok_or_else(|| "not enough arguments for format string".to_string())?;
        next += 1;
        Ok(v)
    };
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        if chars.get(i) == Some(&'(') {
            // A mapping key needs a dict argument; authentik always passes a tuple.
            return Err("format requires a mapping".into());
        }
        let spec = percent::read_spec(&chars, &mut i, &mut || match take()? {
            Val::Int(n) => Ok(*n),
            Val::Bool(b) => Ok(i64::from(*b)),
            _ => Err("* wants int".into()),
        })?;
        if spec.conv == '%' {
            out.push('%');
            continue;
        }
        let arg = take()?;
        let text = match percent::convert(&spec, arg)? {
            Some(text) => text,
            None => convert_other(&spec, arg, start)?,
        };
        out.push_str(&text);
    }
    if next < args.len() {
        return Err("not all arguments converted during string formatting".into());
    }
    Ok(out)
}

/// The float conversions (`e E f F g G`) and `%c`, padded.
fn convert_other(spec: &Spec, arg: &Val, at: usize) -> Result<String, String> {
    Ok(match spec.conv {
        'e' | 'E' | 'f' | 'F' | 'g' | 'G' => {
            let f = match arg.number() {
                Some(Number::Int(i)) => i as f64,
                Some(Number::Float(f)) => f,
                None => return Err(format!("must be real number, not {}", arg.type_name())),
            };
            let body = float_body(f.abs(), spec.conv, spec.precision.unwrap_or(6), spec.alt);
            let negative = f.is_sign_negative() && !f.is_nan();
            // Zero padding applies to `inf` and `nan` too (`'%05f' % inf` is `00inf`).
            percent::pad(&body, percent::sign(negative, spec), spec, true)
        }
        'c' => {
            let c = match arg {
                Val::Int(i) => u32::try_from(*i)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| "%c arg not in range(0x110000)".to_string())?,
                Val::Str(s) if s.chars().count() == 1 => s.chars().next().unwrap_or_default(),
                _ => return Err("%c requires an int or a unicode character".into()),
            };
            percent::pad(&c.to_string(), "", spec, false)
        }
        other => {
            return Err(format!(
                "unsupported format character '{other}' (0x{:x}) at index {}",
                other as u32,
                at + 1
            ));
        }
    })
}

fn float_body(f: f64, conv: char, precision: usize, alt: bool) -> String {
    if f.is_nan() {
        return if conv.is_ascii_uppercase() {
            "NAN"
        } else {
            "nan"
        }
        .into();
    }
    if f.is_infinite() {
        return if conv.is_ascii_uppercase() {
            "INF"
        } else {
            "inf"
        }
        .into();
    }
    let upper = conv.is_ascii_uppercase();
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
    if upper { s.to_ascii_uppercase() } else { s }
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
        assert_eq!(
            f("%x", &[Val::Float(1.5)]),
            Err("%x format: an integer is required, not float".into())
        );
        assert_eq!(
            f("%*d", &[Val::str("a"), Val::Int(1)]),
            Err("* wants int".into())
        );
    }

    #[test]
    fn fixed_by_the_shared_formatter() {
        // `%a` is ascii(), and an integer's precision is its minimum number of digits.
        assert_eq!(f("%a", &[Val::str("é")]).as_deref(), Ok("'\\xe9'"));
        assert_eq!(
            f("%.3d|%5.3x", &[Val::Int(5), Val::Int(-10)]).as_deref(),
            Ok("005| -00a")
        );
        assert_eq!(
            f("%05.1f|%-6c|", &[Val::Float(-2.25), Val::str("x")]).as_deref(),
            Ok("-02.2|x     |")
        );
    }
}
