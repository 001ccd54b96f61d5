//! Python's printf-style `%` operator, the parts both of its users share: launch URLs
//! (`url % user_dict`, mapping keys, parsed once at load: `access::launch_url`) and blueprint
//! `!Format` (`fmt % tuple(args)`: `blueprint::pyfmt`, which adds the float and `%c`
//! conversions, kept out of the core module). Reads a conversion spec, converts strings and
//! integers, pads. Errors carry Python's TypeError/ValueError texts.

use super::{py_ascii, py_repr, py_str};
use serde_json::Value;

/// Widths and precisions beyond this are refused ("width too big"): they would only allocate.
pub const MAX_WIDTH: usize = 10_000;

/// One conversion: `%[flags][width][.precision][length]conv`.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Spec {
    pub left: bool,
    pub zero: bool,
    pub plus: bool,
    pub space: bool,
    pub alt: bool,
    pub width: usize,
    pub precision: Option<usize>,
    pub conv: char,
}

/// Reads a spec from `chars[*i..]` (just after `%` and its mapping key). `star` gives the value
/// of a `*` width or precision (taken from the arguments; an error where there are none).
/// `conv` is `%` for a literal percent sign.
pub fn read_spec(
    chars: &[char],
    i: &mut usize,
    star: &mut dyn FnMut() -> Result<i64, String>,
) -> Result<Spec, String> {
    let mut spec = Spec::default();
    while let Some(&f) = chars.get(*i) {
        match f {
            '-' => spec.left = true,
            '0' => spec.zero = true,
            '+' => spec.plus = true,
            ' ' => spec.space = true,
            '#' => spec.alt = true,
            _ => break,
        }
        *i += 1;
    }
    if chars.get(*i) == Some(&'*') {
        let w = star()?;
        // A negative `*` width means left-aligned.
        spec.left |= w < 0;
        spec.width = usize::try_from(w.unsigned_abs()).unwrap_or(usize::MAX);
        *i += 1;
    } else {
        spec.width = digits(chars, i);
    }
    if chars.get(*i) == Some(&'.') {
        *i += 1;
        spec.precision = Some(if chars.get(*i) == Some(&'*') {
            *i += 1;
            usize::try_from(star()?.max(0)).unwrap_or(usize::MAX)
        } else {
            digits(chars, i)
        });
    }
    if spec.width > MAX_WIDTH || spec.precision.unwrap_or(0) > MAX_WIDTH {
        return Err("width or precision too big".into());
    }
    while matches!(chars.get(*i), Some('h' | 'l' | 'L')) {
        *i += 1;
    }
    spec.conv = *chars.get(*i).ok_or("incomplete format")?;
    *i += 1;
    Ok(spec)
}

fn digits(chars: &[char], i: &mut usize) -> usize {
    let mut n: usize = 0;
    while let Some(d) = chars.get(*i).and_then(|c| c.to_digit(10)) {
        n = n.saturating_mul(10).saturating_add(d as usize);
        *i += 1;
    }
    n
}

/// A number as `%d` and friends see it (bools are ints).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    Int(i128),
    Float(f64),
}

/// A value given to `%`.
pub trait PercentArg {
    fn py_str(&self) -> String;
    fn py_repr(&self) -> String;
    fn py_ascii(&self) -> String;
    /// Ints, bools and floats; None for anything else.
    fn number(&self) -> Option<Number>;
    /// Python's type name, for error messages.
    fn type_name(&self) -> &'static str;
}

/// The string and integer conversions (`s r a d i u x X o`), padded. `Ok(None)`: `spec.conv` is
/// none of them (floats, `%c` and unknown characters are the caller's).
pub fn convert(spec: &Spec, arg: &dyn PercentArg) -> Result<Option<String>, String> {
    let conv = spec.conv;
    let text = match conv {
        's' | 'r' | 'a' => {
            let text = match conv {
                's' => arg.py_str(),
                'r' => arg.py_repr(),
                _ => arg.py_ascii(),
            };
            let text = match spec.precision {
                Some(p) => text.chars().take(p).collect(),
                None => text,
            };
            pad(&text, "", spec, false)
        }
        'd' | 'i' | 'u' => {
            let (negative, digits) = match arg.number() {
                Some(Number::Int(n)) => (n < 0, n.unsigned_abs().to_string()),
                // `int(f)`: truncated, written exactly however large.
                Some(Number::Float(f)) if f.is_finite() => (
                    f < 0.0 && f.trunc() != 0.0,
                    float_int_digits(f.trunc().abs()),
                ),
                Some(Number::Float(f)) if f.is_nan() => {
                    return Err("cannot convert float NaN to integer".into());
                }
                Some(Number::Float(_)) => {
                    return Err("cannot convert float infinity to integer".into());
                }
                None => {
                    return Err(format!(
                        "%{conv} format: a real number is required, not {}",
                        arg.type_name()
                    ));
                }
            };
            integer(negative, digits, "", spec)
        }
        'x' | 'X' | 'o' => {
            let Some(Number::Int(n)) = arg.number() else {
                return Err(format!(
                    "%{conv} format: an integer is required, not {}",
                    arg.type_name()
                ));
            };
            let m = n.unsigned_abs();
            let (digits, prefix) = match conv {
                'x' => (format!("{m:x}"), "0x"),
                'X' => (format!("{m:X}"), "0X"),
                _ => (format!("{m:o}"), "0o"),
            };
            integer(n < 0, digits, if spec.alt { prefix } else { "" }, spec)
        }
        _ => return Ok(None),
    };
    Ok(Some(text))
}

/// The decimal digits of a finite, non-negative, integral float. Not `format!("{:.0}")`: that
/// would link core's exact float formatter into the core module for this one rare case.
fn float_int_digits(f: f64) -> String {
    if f < 1e38 {
        // Below 2^127 the conversion is exact.
        return (f as u128).to_string();
    }
    // f = mantissa · 2^exp with exp > 0: multiply out in base-10^9 limbs (least significant first).
    let bits = f.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32 - 1075;
    let mantissa = (bits & ((1 << 52) - 1)) | (1 << 52);
    let mut limbs: Vec<u64> = vec![mantissa % 1_000_000_000, mantissa / 1_000_000_000];
    for _ in 0..exp {
        let mut carry = 0;
        for limb in &mut limbs {
            let v = *limb * 2 + carry;
            *limb = v % 1_000_000_000;
            carry = v / 1_000_000_000;
        }
        if carry > 0 {
            limbs.push(carry);
        }
    }
    while limbs.len() > 1 && limbs.last() == Some(&0) {
        limbs.pop();
    }
    let mut out = limbs.last().map_or_else(String::new, u64::to_string);
    for limb in limbs.iter().rev().skip(1) {
        out.push_str(&format!("{limb:09}"));
    }
    out
}

/// An integer's digits with its sign, `#` prefix and precision (minimum digits), padded.
fn integer(negative: bool, mut digits: String, prefix: &str, spec: &Spec) -> String {
    if let Some(p) = spec.precision
        && digits.len() < p
    {
        digits.insert_str(0, &"0".repeat(p - digits.len()));
    }
    pad(
        &digits,
        &format!("{}{prefix}", sign(negative, spec)),
        spec,
        true,
    )
}

/// The sign a number gets: `-`, or `+` / ` ` by the flags.
pub fn sign(negative: bool, spec: &Spec) -> &'static str {
    if negative {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    }
}

/// Python's padding to `spec.width`: `-` pads right; `0` pads numbers with zeros between the
/// sign (and `0x` prefix) and the digits; otherwise spaces on the left.
pub fn pad(body: &str, sign: &str, spec: &Spec, numeric: bool) -> String {
    let len = sign.chars().count() + body.chars().count();
    let fill = spec.width.saturating_sub(len);
    let mut out = String::with_capacity(len + fill);
    if spec.left {
        out.push_str(sign);
        out.push_str(body);
        out.extend(std::iter::repeat_n(' ', fill));
    } else if spec.zero && numeric {
        out.push_str(sign);
        out.extend(std::iter::repeat_n('0', fill));
        out.push_str(body);
    } else {
        out.extend(std::iter::repeat_n(' ', fill));
        out.push_str(sign);
        out.push_str(body);
    }
    out
}

/// JSON-decoded values (launch URLs format the serialized user).
impl PercentArg for Value {
    fn py_str(&self) -> String {
        py_str(self).into_owned()
    }
    fn py_repr(&self) -> String {
        py_repr(self)
    }
    fn py_ascii(&self) -> String {
        py_ascii(self)
    }
    fn number(&self) -> Option<Number> {
        match self {
            Value::Bool(b) => Some(Number::Int(i128::from(*b))),
            Value::Number(n) => n
                .as_i64()
                .map(i128::from)
                .or_else(|| n.as_u64().map(i128::from))
                .map(Number::Int)
                .or_else(|| n.as_f64().map(Number::Float)),
            _ => None,
        }
    }
    fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "NoneType",
            Value::Bool(_) => "bool",
            Value::Number(n) if n.is_f64() => "float",
            Value::Number(_) => "int",
            Value::String(_) => "str",
            Value::Array(_) => "list",
            Value::Object(_) => "dict",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec(text: &str) -> Result<Spec, String> {
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        let spec = read_spec(&chars, &mut i, &mut || Ok(-7))?;
        assert_eq!(i, chars.len(), "{text}");
        Ok(spec)
    }

    fn fmt(text: &str, v: Value) -> Result<Option<String>, String> {
        convert(&spec(text)?, &v)
    }

    #[test]
    fn specs() {
        let s = spec("-#08.3lx").unwrap_or_default();
        assert!(s.left && s.alt && s.zero && !s.plus);
        assert_eq!((s.width, s.precision, s.conv), (8, Some(3), 'x'));
        let s = spec("*.*d").unwrap_or_default();
        assert!(s.left);
        assert_eq!((s.width, s.precision), (7, Some(0)));
        assert_eq!(spec(""), Err("incomplete format".into()));
        assert_eq!(spec("99999s"), Err("width or precision too big".into()));
    }

    #[test]
    fn conversions_like_python() {
        let ok = |s: &str| Ok(Some(s.to_string()));
        assert_eq!(fmt("s", json!("é")), ok("é"));
        assert_eq!(fmt("r", json!("é")), ok("'é'"));
        assert_eq!(fmt("a", json!("é")), ok("'\\xe9'"));
        assert_eq!(fmt(".2s", json!([1])), ok("[1"));
        assert_eq!(fmt("05d", json!(-42)), ok("-0042"));
        assert_eq!(fmt("+.3d", json!(7)), ok("+007"));
        assert_eq!(fmt("d", json!(-0.5)), ok("0"));
        assert_eq!(fmt("d", json!(1e30)), ok("1000000000000000019884624838656"));
        assert_eq!(fmt("d", json!(true)), ok("1"));
        assert_eq!(fmt("d", json!(1.5e300)), ok(&format!("{:.0}", 1.5e300)));
        assert_eq!(fmt("d", json!(f64::MAX)), ok(&format!("{:.0}", f64::MAX)));
        assert_eq!(fmt("d", json!(-1.7e38)), ok(&format!("-{:.0}", 1.7e38)));
        assert_eq!(fmt("#08x", json!(255)), ok("0x0000ff"));
        assert_eq!(fmt("#X", json!(-255)), ok("-0XFF"));
        assert_eq!(fmt("o", json!(8)), ok("10"));
        assert_eq!(fmt("f", json!(1.5)), Ok(None));
        assert_eq!(
            fmt("x", json!(1.5)),
            Err("%x format: an integer is required, not float".into())
        );
        assert_eq!(
            fmt("d", json!("1")),
            Err("%d format: a real number is required, not str".into())
        );
    }
}
