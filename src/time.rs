//! Instants as epoch milliseconds (UTC), ISO-8601 parsing and formatting. flowgate never reads
//! the clock in the core: `now` comes with every request (spec §3), so answers are reproducible.

/// Epoch milliseconds.
pub type Millis = i64;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn num(s: &[u8], at: usize, len: usize) -> Option<u32> {
    let part = s.get(at..at + len)?;
    let mut n = 0u32;
    for &c in part {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + (c - b'0') as u32;
    }
    Some(n)
}

/// Parses ISO-8601 / RFC 3339 as Python's `datetime.fromisoformat` and Django's
/// `parse_datetime` accept it: `YYYY-MM-DD`, optional `T` or space + `HH:MM[:SS[.ffffff]]`,
/// optional `Z` or `±HH[:MM]`. A value without offset is UTC (Django's default timezone).
pub fn parse_iso(text: &str) -> Option<Millis> {
    let s = text.trim().as_bytes();
    if s.len() < 10 || s[4] != b'-' || s[7] != b'-' {
        return None;
    }
    let y = num(s, 0, 4)? as i64;
    let mo = num(s, 5, 2)?;
    let d = num(s, 8, 2)?;
    if !(1..=12).contains(&mo) || d == 0 || d > days_in_month(y, mo) {
        return None;
    }
    let mut ms = days_from_civil(y, mo, d) * 86_400_000;
    if s.len() == 10 {
        return Some(ms);
    }
    if s[10] != b'T' && s[10] != b't' && s[10] != b' ' {
        return None;
    }
    let h = num(s, 11, 2)?;
    if s.get(13) != Some(&b':') {
        return None;
    }
    let mi = num(s, 14, 2)?;
    let mut i = 16;
    let mut sec = 0;
    let mut frac_ms = 0i64;
    if s.get(i) == Some(&b':') {
        sec = num(s, i + 1, 2)?;
        i += 3;
        if matches!(s.get(i), Some(b'.') | Some(b',')) {
            i += 1;
            let start = i;
            let mut scale = 100i64;
            while let Some(c) = s.get(i).filter(|c| c.is_ascii_digit()) {
                frac_ms += (*c - b'0') as i64 * scale;
                scale /= 10;
                i += 1;
            }
            if i == start {
                return None;
            }
        }
    }
    if h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    ms += (h as i64 * 3600 + mi as i64 * 60 + sec as i64) * 1000 + frac_ms;
    match s.get(i) {
        None => Some(ms),
        Some(b'Z') | Some(b'z') if i + 1 == s.len() => Some(ms),
        Some(&sign @ (b'+' | b'-')) => {
            let oh = num(s, i + 1, 2)? as i64;
            let rest = &s[i + 3..];
            let om = match rest {
                [] => 0,
                [b':', ..] if rest.len() == 3 => num(rest, 1, 2)? as i64,
                _ if rest.len() == 2 => num(rest, 0, 2)? as i64,
                _ => return None,
            };
            if oh > 23 || om > 59 {
                return None;
            }
            let off = (oh * 60 + om) * 60_000;
            Some(if sign == b'+' { ms - off } else { ms + off })
        }
        _ => None,
    }
}

/// `2026-06-01T12:00:00Z` (milliseconds only when not zero), as Python's isoformat of a UTC time
/// with `+00:00` replaced by `Z`.
pub fn format_iso(ms: Millis) -> String {
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s, frac) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    if frac == 0 {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    } else {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac:03}Z")
    }
}

/// The current time, for native callers that give no `now`. The wasm binding passes
/// `Date.now()` instead (there is no system clock on wasm32-unknown-unknown).
#[cfg(not(target_arch = "wasm32"))]
pub fn system_now() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() {
        assert_eq!(parse_iso("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_iso("2026-06-03T00:00:00Z"), Some(1_780_444_800_000));
        assert_eq!(parse_iso("2026-06-03"), Some(1_780_444_800_000));
        assert_eq!(
            parse_iso("2026-06-03T02:00:00+02:00"),
            Some(1_780_444_800_000)
        );
        assert_eq!(parse_iso("2026-06-03 00:00:00.5"), Some(1_780_444_800_500));
        assert_eq!(parse_iso("2026-02-30T00:00:00Z"), None);
        assert_eq!(parse_iso("nope"), None);
        assert_eq!(parse_iso("2026-06-03T00:00:00Zjunk"), None);
    }

    #[test]
    fn formats_round_trip() {
        for t in [0i64, 1_780_444_800_000, -86_400_000, 1_780_444_800_123] {
            assert_eq!(parse_iso(&format_iso(t)), Some(t));
        }
    }
}
