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

/// Weekdays from Monday, bokmål.
const WEEKDAYS: [&str; 7] = [
    "mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag",
];

/// Weekdays from Monday, nynorsk.
const WEEKDAYS_NN: [&str; 7] = [
    "måndag", "tysdag", "onsdag", "torsdag", "fredag", "laurdag", "sundag",
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
    /// The day of the week before the date (`mandag 4. mars`), rendered
    /// for the shifted date.
    Weekday {
        /// The weekday written (0 = Monday): the shifted one is as many
        /// days on, which holds for dates without a year too.
        written: usize,
        nynorsk: bool,
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

/// The weekday `w` names (0 = Monday) and whether in its nynorsk form
/// (`måndag`; the names both forms share count as bokmål).
fn weekday_from_name(w: &str) -> Option<(usize, bool)> {
    // Every weekday's name has six or seven bytes, in any case: most words
    // are ruled out before they are case-folded.
    if !(6..=7).contains(&w.len()) {
        return None;
    }
    let l = w.to_lowercase();
    WEEKDAYS
        .iter()
        .position(|d| *d == l)
        .map(|i| (i, false))
        .or_else(|| WEEKDAYS_NN.iter().position(|d| *d == l).map(|i| (i, true)))
}

/// Whether the case-folded `w` is a month's or a weekday's full name.
pub fn is_calendar_word(w: &str) -> bool {
    MONTHS.contains(&w) || weekday_from_name(w).is_some()
}

/// Where the weekday before a date starts: `text[..start]` ends in a
/// weekday, an optional comma, an optional ` den`, and a space or a comma
/// and a space (`mandag 4. mars`, `Sundag, 14. april`, `fredag den 3.5.`).
/// `text` is case-folded or not.
pub fn weekday_start(text: &str, start: usize) -> Option<usize> {
    let before = text.get(..start)?;
    // One space, or a comma and a space, before the date …
    let gap = before
        .strip_suffix(", ")
        .or_else(|| before.strip_suffix(' '))?;
    // … and an optional `den` (`fredag den 3.5.`, `fredag, den 3.5.`).
    let gap = match gap.len().checked_sub(4).and_then(|i| gap.get(i..)) {
        Some(den) if den.eq_ignore_ascii_case(" den") => &gap[..gap.len() - 4],
        _ => gap,
    };
    let gap = gap.strip_suffix(',').unwrap_or(gap);
    let word_start = gap
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphabetic())
        .last()
        .map(|(i, _)| i)?;
    let word = &gap[word_start..];
    let opens = gap[..word_start]
        .chars()
        .next_back()
        .is_none_or(|c| !c.is_alphanumeric());
    (opens && weekday_from_name(word).is_some()).then_some(word_start)
}

/// Parses a date as written; `None` when it is not a valid calendar date.
/// An ISO 8601 date-time (`2023-03-12T08:15`) is its date followed by the
/// time of day, which is kept as written. A weekday may open a date with
/// its day (`mandag 4. mars 2024`).
pub fn parse(s: &str) -> Option<WrittenDate> {
    let day_name_end = s.find(|c: char| !c.is_alphabetic()).unwrap_or(s.len());
    if let Some((written, nynorsk)) = weekday_from_name(&s[..day_name_end]) {
        let date_start = s.find(|c: char| c.is_ascii_digit())?;
        if weekday_start(s, date_start) != Some(0) {
            return None;
        }
        let mut date = parse(&s[date_start..])?;
        if !date.has_day {
            return None;
        }
        date.parts.splice(
            0..0,
            [
                Part::Weekday {
                    written,
                    nynorsk,
                    casing: casing(&s[..day_name_end]),
                },
                Part::Lit(s[day_name_end..date_start].to_string()),
            ],
        );
        return Some(date);
    }
    // `20240315083012`: eight digits and more are a compact date-time or
    // nothing.
    if s.len() > 8 && s.as_bytes()[..8].iter().all(u8::is_ascii_digit) {
        return compact_date_time(s);
    }
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

/// `20240315083012`, `20240315091233.123000+0100`: a compact date (the
/// first eight digits) and its time of day (HL7, DICOM), which stays as
/// written; a zone only after a time (`19850315-1234` is a Swedish
/// personnummer).
fn compact_date_time(s: &str) -> Option<WrittenDate> {
    let time = &s[8..];
    let clock = time.bytes().take_while(u8::is_ascii_digit).count();
    let rest = &time[clock..];
    let fraction = rest
        .strip_prefix('.')
        .map_or(0, |f| f.bytes().take_while(u8::is_ascii_digit).count() + 1);
    let zone = &rest[fraction..];
    let zone_ok = zone.is_empty()
        || (clock > 0
            && zone.len() == 5
            && zone.starts_with(['+', '-'])
            && zone[1..].bytes().all(|c| c.is_ascii_digit()));
    if !(matches!(clock, 0 | 4 | 6) && (fraction == 0 || clock == 6) && zone_ok) {
        return None;
    }
    let mut date = parse_date(&s[..8])?;
    date.parts.push(Part::Lit(time.to_string()));
    Some(date)
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

/// Appends `name` (in small letters) to `out` in `casing`.
fn push_cased(out: &mut String, name: &str, casing: Casing) {
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
                    push_cased(&mut out, name, *casing);
                }
                Part::Weekday {
                    written,
                    nynorsk,
                    casing,
                } => {
                    let days = (date - self.date).num_days();
                    let i = (*written as i64 + days).rem_euclid(7) as usize;
                    let names = if *nynorsk { &WEEKDAYS_NN } else { &WEEKDAYS };
                    push_cased(&mut out, names[i], *casing);
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

    /// A weekday before a date is rewritten for the shifted date, in its
    /// own case and language form; one before a date without its day, or
    /// a word that only begins like one, opens no date.
    #[test]
    fn weekdays_follow_the_shift() {
        // 26 February 2024 was a Monday; 27 March 2024 a Wednesday.
        assert_eq!(
            shifted("mandag 26. februar 2024", 30),
            "onsdag 27. mars 2024"
        );
        assert_eq!(shifted("Sundag, 14.04.2024", 1), "Måndag, 15.04.2024");
        assert_eq!(shifted("FREDAG DEN 3.5.2024", 3), "MANDAG DEN 6.5.2024");
        // Without a year, as many days on as the date: `mandag 4. mars` and
        // `onsdag 6. mars` stay two days apart.
        assert_eq!(shifted("mandag 4. mars", -79), "lørdag 16. desember");
        assert_eq!(shifted("onsdag 6. mars", -79), "mandag 18. desember");
        assert!(parse("mandag mars 2024").is_none());
        assert!(parse("mandagen 3. mars").is_none());
        assert!(parse("mandag  3. mars").is_none());
        // (Byte offsets: `ø` takes two.)
        assert_eq!(weekday_start("Møte fredag den 3.5.", 17), Some(6));
        assert_eq!(weekday_start("Møte fredag, 3.5.", 14), Some(6));
        assert_eq!(weekday_start("Møte fredagen 3.5.", 14), None);
        assert_eq!(weekday_start("Møte 3.5.", 6), None);
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
        assert_eq!(shifted("20230312081500", 1), "20230313081500");
        assert_eq!(
            shifted("20240315091233.123000+0100", 1),
            "20240316091233.123000+0100"
        );
        assert_eq!(shifted("12032023", 1), "13032023");
        assert_eq!(shifted("2023.03.12", 1), "2023.03.13");
        assert_eq!(shifted("2023-03-12T08:15:00Z", -12), "2023-02-28T08:15:00Z");
    }

    #[test]
    fn invalid_dates_are_rejected() {
        for s in [
            "31.02.2021",
            "130558014",
            "20230312081",
            "19850315-1234",
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
