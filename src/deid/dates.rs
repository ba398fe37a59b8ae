//! Dates as they are written in Norwegian notes: parse, validate, shift and
//! render back in the original shape (`12.03.2021`, `12/3-21`,
//! `12. mars 2021`, `mars 2021`, `120321`, `2021-03-12`).

use chrono::{Datelike, Days, NaiveDate};

/// Full Norwegian month names (bokmål and nynorsk agree).
const MONTHS: [&str; 12] = [
    "januar",
    "februar",
    "mars",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "desember",
];

/// Abbreviated month names.
const MONTHS_ABBR: [&str; 12] = [
    "jan", "feb", "mar", "apr", "mai", "jun", "jul", "aug", "sep", "okt", "nov", "des",
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Role {
    Day,
    Month,
    Year,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Casing {
    Lower,
    Title,
    Upper,
}

#[derive(Clone, Debug, PartialEq)]
enum Part {
    Num {
        role: Role,
        width: usize,
    },
    MonthName {
        abbr: bool,
        sept: bool,
        casing: Casing,
    },
    Lit(String),
}

/// A parsed date and the shape it was written in.
#[derive(Clone, Debug, PartialEq)]
pub struct WrittenDate {
    parts: Vec<Part>,
    /// Calendar date (missing parts filled with anchors: year 2000, day 15).
    pub date: NaiveDate,
    has_year: bool,
    has_day: bool,
}

/// Years a written date may have.
const YEARS: std::ops::RangeInclusive<i32> = 1850..=2150;

/// Two-digit years up to this are 20xx, later ones 19xx.
const PIVOT: i32 = 30;

fn month_from_name(w: &str) -> Option<(u32, bool, bool)> {
    let l = w.to_lowercase();
    if let Some(i) = MONTHS.iter().position(|m| *m == l) {
        return Some((i as u32 + 1, false, false));
    }
    if l == "sept" {
        return Some((9, true, true));
    }
    MONTHS_ABBR
        .iter()
        .position(|m| *m == l)
        .map(|i| (i as u32 + 1, true, false))
}

fn casing(w: &str) -> Casing {
    let mut chars = w.chars();
    match chars.next() {
        Some(c) if c.is_uppercase() => {
            if w.chars().count() > 1 && chars.all(|c| c.is_uppercase()) {
                Casing::Upper
            } else {
                Casing::Title
            }
        }
        _ => Casing::Lower,
    }
}

/// Parses a date as written; `None` when it is not a valid calendar date.
/// An ISO 8601 date-time (`2023-03-12T08:15`) is its date followed by the
/// time of day, which is kept as written.
pub fn parse(s: &str) -> Option<WrittenDate> {
    if let Some((day, time)) = s.split_once('T')
        && day.len() == 10
        && day.as_bytes()[4] == b'-'
        && time.starts_with(|c: char| c.is_ascii_digit())
    {
        let mut date = parse_date(day)?;
        date.parts.push(Part::Lit(format!("T{time}")));
        return Some(date);
    }
    parse_date(s)
}

/// [`parse`] without the time of day.
fn parse_date(s: &str) -> Option<WrittenDate> {
    // Split into digit runs, letter runs and other characters.
    let mut raw: Vec<(u8, &str)> = Vec::new(); // kind: b'd' digits, b'a' letters, b'o' other
    let mut start = 0;
    let mut kind = 0u8;
    for (i, c) in s.char_indices() {
        let k = if c.is_ascii_digit() {
            b'd'
        } else if c.is_alphabetic() {
            b'a'
        } else {
            b'o'
        };
        if i > 0 && k != kind {
            raw.push((kind, &s[start..i]));
            start = i;
        }
        kind = k;
    }
    if !s.is_empty() {
        raw.push((kind, &s[start..]));
    }
    let digit_runs: Vec<usize> = raw
        .iter()
        .enumerate()
        .filter(|(_, r)| r.0 == b'd')
        .map(|(i, _)| i)
        .collect();
    let alpha_runs: Vec<usize> = raw
        .iter()
        .enumerate()
        .filter(|(_, r)| r.0 == b'a')
        .map(|(i, _)| i)
        .collect();
    let mut parts = Vec::with_capacity(raw.len());
    let (mut y, mut m, mut d): (Option<i32>, Option<u32>, Option<u32>) = (None, None, None);
    let mut year_width = 4;
    let num = |t: &str| t.parse::<u32>().ok();

    if alpha_runs.len() > 1 {
        return None;
    }
    if let Some(&ai) = alpha_runs.first() {
        let (month, abbr, sept) = month_from_name(raw[ai].1)?;
        m = Some(month);
        for (i, (k, t)) in raw.iter().enumerate() {
            match k {
                b'd' if i < ai => {
                    d = Some(num(t)?);
                    parts.push(Part::Num {
                        role: Role::Day,
                        width: if t.starts_with('0') { 2 } else { 1 },
                    });
                }
                b'd' => {
                    year_width = t.len();
                    y = Some(num(t)? as i32);
                    parts.push(Part::Num {
                        role: Role::Year,
                        width: t.len(),
                    });
                }
                b'a' => parts.push(Part::MonthName {
                    abbr,
                    sept,
                    casing: casing(t),
                }),
                _ => parts.push(Part::Lit(t.to_string())),
            }
        }
    } else if digit_runs.len() == 1 && raw.len() == 1 {
        let t = raw[0].1;
        // ddmmyyyy, else yyyymmdd: never both valid (a year 19dd or 20dd
        // read first leaves a month of 18 to 21).
        let n = |r: std::ops::Range<usize>| t.get(r).and_then(|x| x.parse::<u32>().ok());
        let dmy = matches!(
            (n(0..2), n(2..4), n(4..8)),
            (Some(d), Some(m), Some(y))
                if YEARS.contains(&(y as i32)) && NaiveDate::from_ymd_opt(y as i32, m, d).is_some()
        );
        let roles: &[(Role, usize)] = match t.len() {
            6 => &[(Role::Day, 2), (Role::Month, 2), (Role::Year, 2)],
            8 if dmy => &[(Role::Day, 2), (Role::Month, 2), (Role::Year, 4)],
            8 => &[(Role::Year, 4), (Role::Month, 2), (Role::Day, 2)],
            _ => return None,
        };
        let mut at = 0;
        for &(role, w) in roles {
            let v = num(&t[at..at + w])?;
            match role {
                Role::Day => d = Some(v),
                Role::Month => m = Some(v),
                Role::Year => {
                    y = Some(v as i32);
                    year_width = w;
                }
            }
            parts.push(Part::Num { role, width: w });
            at += w;
        }
    } else {
        let roles: Vec<Role> = match digit_runs.len() {
            3 if raw[digit_runs[0]].1.len() == 4 => vec![Role::Year, Role::Month, Role::Day],
            3 => vec![Role::Day, Role::Month, Role::Year],
            2 if raw[digit_runs[1]].1.len() == 4 => vec![Role::Month, Role::Year],
            2 => vec![Role::Day, Role::Month],
            _ => return None,
        };
        let mut ri = 0;
        for (k, t) in &raw {
            if *k == b'd' {
                let role = roles[ri];
                ri += 1;
                let v = num(t)?;
                match role {
                    Role::Day => d = Some(v),
                    Role::Month => m = Some(v),
                    Role::Year => {
                        y = Some(v as i32);
                        year_width = t.len();
                    }
                }
                if t.len() > 4 {
                    return None;
                }
                parts.push(Part::Num {
                    role,
                    width: t.len(),
                });
            } else {
                parts.push(Part::Lit(t.to_string()));
            }
        }
    }
    let month = m?;
    let has_year = y.is_some();
    let has_day = d.is_some();
    let year = match y {
        None => 2000,
        Some(v) if year_width <= 2 => {
            if v <= PIVOT {
                2000 + v
            } else {
                1900 + v
            }
        }
        Some(v) => v,
    };
    if !YEARS.contains(&year) {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(year, month, d.unwrap_or(15))?;
    if !has_day && !has_year {
        return None;
    }
    Some(WrittenDate {
        parts,
        date,
        has_year,
        has_day,
    })
}

/// Whether `s` is a valid date in a shape [`parse`] knows.
pub fn valid(s: &str) -> bool {
    parse(s).is_some()
}

/// Shifts `date` by `days` (negative: earlier).
pub fn shift(date: NaiveDate, days: i64) -> NaiveDate {
    let r = if days >= 0 {
        date.checked_add_days(Days::new(days as u64))
    } else {
        date.checked_sub_days(Days::new(days.unsigned_abs()))
    };
    r.unwrap_or(date)
}

impl WrittenDate {
    /// Renders `date` in this date's shape. For dates written without a
    /// year the shifted day and month are written; without a day, month
    /// and year.
    pub fn render(&self, date: NaiveDate) -> String {
        let mut out = String::with_capacity(16);
        for p in &self.parts {
            match p {
                Part::Lit(t) => out.push_str(t),
                Part::Num { role, width } => {
                    let v = match role {
                        Role::Day => date.day() as i32,
                        Role::Month => date.month() as i32,
                        Role::Year => date.year(),
                    };
                    match (role, width) {
                        (Role::Year, 2) => out.push_str(&format!("{:02}", v.rem_euclid(100))),
                        (Role::Year, _) => out.push_str(&format!("{v:04}")),
                        (_, 1) => out.push_str(&v.to_string()),
                        _ => out.push_str(&format!("{v:02}")),
                    }
                }
                Part::MonthName { abbr, sept, casing } => {
                    let i = date.month0() as usize;
                    let name = if *sept && i == 8 {
                        "sept"
                    } else if *abbr {
                        MONTHS_ABBR[i]
                    } else {
                        MONTHS[i]
                    };
                    match casing {
                        Casing::Lower => out.push_str(name),
                        Casing::Upper => out.push_str(&name.to_uppercase()),
                        Casing::Title => {
                            let mut c = name.chars();
                            if let Some(f) = c.next() {
                                out.extend(f.to_uppercase());
                                out.push_str(c.as_str());
                            }
                        }
                    }
                }
            }
        }
        out
    }

    /// Whether the year was written.
    pub fn has_year(&self) -> bool {
        self.has_year
    }

    /// Whether the day was written.
    pub fn has_day(&self) -> bool {
        self.has_day
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shifted(s: &str, days: i64) -> String {
        let d = parse(s).unwrap_or_else(|| panic!("parse {s}"));
        d.render(shift(d.date, days))
    }

    #[test]
    fn shapes_survive_a_shift() {
        assert_eq!(shifted("12.03.2021", 10), "22.03.2021");
        assert_eq!(shifted("12/3-21", 30), "11/4-21");
        assert_eq!(shifted("12. mars 2021", -12), "28. februar 2021");
        assert_eq!(shifted("mars 2021", 31), "april 2021");
        assert_eq!(shifted("120321", 1), "130321");
        assert_eq!(shifted("2021-03-12", 365), "2022-03-12");
        assert_eq!(shifted("1.2.2020", 1), "2.2.2020");
        assert_eq!(shifted("12. Mars", 20), "1. April");
        assert_eq!(shifted("3. okt. 2019", 31), "3. nov. 2019");
        assert_eq!(shifted("31.12.99", 1), "01.01.00");
        assert_eq!(shifted("12.03", 1), "13.03");
        // The time of day of an ISO date-time stays as written.
        assert_eq!(shifted("2023-03-12T08:15", 20), "2023-04-01T08:15");
        assert_eq!(shifted("20230312", 1), "20230313");
        assert_eq!(shifted("12032023", 1), "13032023");
        assert_eq!(shifted("2023.03.12", 1), "2023.03.13");
        assert_eq!(shifted("2023-03-12T08:15:00Z", -12), "2023-02-28T08:15:00Z");
    }

    #[test]
    fn invalid_dates_are_rejected() {
        for s in [
            "31.02.2021",
            "130558014",
            "12.13.2020",
            "00.01.2020",
            "991399",
            "12 foo 2020",
            "2021-02-30T08:15",
            "12.03.2021T08:15",
        ] {
            assert!(!valid(s), "{s}");
        }
        for s in ["29.02.2020", "130558", "1. januar 1990", "desember 2019"] {
            assert!(valid(s), "{s}");
        }
    }
}
