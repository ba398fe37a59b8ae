//! PHI labels (DESIGN.md "PHI spans"): the one label set shared by the
//! generator's gold files, the detector, evaluation and the audit.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A kind of identifier. The names are a contract (`spans.jsonl`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Label {
    /// Given name (or initial) of a person.
    PersonFirst,
    /// Family name of a person.
    PersonLast,
    /// Fødselsnummer, D-, H- or FH-nummer.
    NationalId,
    /// Telephone number.
    Phone,
    /// E-mail address.
    Email,
    /// Web address.
    Url,
    /// Street address.
    Address,
    /// Four-digit postcode.
    Postcode,
    /// Town, municipality, region.
    Location,
    /// Hospital, ward, clinic.
    CareUnit,
    /// Other organisation.
    Organisation,
    /// Calendar date (full or partial).
    Date,
    /// Age of a person.
    Age,
    /// Helsepersonellnummer.
    HprNumber,
    /// Organisasjonsnummer.
    OrgNumber,
    /// Bank account number.
    AccountNumber,
    /// Journal, patient or requisition number.
    RecordNumber,
    /// Any other identifying number or code.
    OtherId,
}

impl Label {
    /// Every label, in contract order.
    pub const ALL: [Label; 18] = [
        Label::PersonFirst,
        Label::PersonLast,
        Label::NationalId,
        Label::Phone,
        Label::Email,
        Label::Url,
        Label::Address,
        Label::Postcode,
        Label::Location,
        Label::CareUnit,
        Label::Organisation,
        Label::Date,
        Label::Age,
        Label::HprNumber,
        Label::OrgNumber,
        Label::AccountNumber,
        Label::RecordNumber,
        Label::OtherId,
    ];

    /// The contract name (`PERSON_FIRST`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Label::PersonFirst => "PERSON_FIRST",
            Label::PersonLast => "PERSON_LAST",
            Label::NationalId => "NATIONAL_ID",
            Label::Phone => "PHONE",
            Label::Email => "EMAIL",
            Label::Url => "URL",
            Label::Address => "ADDRESS",
            Label::Postcode => "POSTCODE",
            Label::Location => "LOCATION",
            Label::CareUnit => "CARE_UNIT",
            Label::Organisation => "ORGANISATION",
            Label::Date => "DATE",
            Label::Age => "AGE",
            Label::HprNumber => "HPR_NUMBER",
            Label::OrgNumber => "ORG_NUMBER",
            Label::AccountNumber => "ACCOUNT_NUMBER",
            Label::RecordNumber => "RECORD_NUMBER",
            Label::OtherId => "OTHER_ID",
        }
    }

    /// Parses a contract name.
    pub fn parse(s: &str) -> Option<Label> {
        Label::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// Specificity rank used to break ties between overlapping spans of
    /// equal length: lower is more specific.
    pub fn specificity(self) -> u8 {
        match self {
            Label::NationalId => 0,
            Label::Email => 1,
            Label::Url => 2,
            Label::HprNumber => 3,
            Label::OrgNumber => 4,
            Label::AccountNumber => 5,
            Label::RecordNumber => 6,
            Label::Date => 7,
            Label::Phone => 8,
            Label::Age => 9,
            Label::Address => 10,
            Label::Postcode => 11,
            Label::CareUnit => 12,
            Label::Organisation => 13,
            Label::PersonLast => 14,
            Label::PersonFirst => 15,
            Label::Location => 16,
            Label::OtherId => 17,
        }
    }

    /// Whether the label names a person.
    pub fn is_person(self) -> bool {
        matches!(self, Label::PersonFirst | Label::PersonLast)
    }

    /// The placeholder written when the policy is `redact`.
    pub fn redaction(self) -> &'static str {
        match self {
            Label::PersonFirst | Label::PersonLast => "[PERSON]",
            Label::NationalId => "[NATIONAL_ID]",
            Label::Phone => "[PHONE]",
            Label::Email => "[EMAIL]",
            Label::Url => "[URL]",
            Label::Address => "[ADDRESS]",
            Label::Postcode => "[POSTCODE]",
            Label::Location => "[LOCATION]",
            Label::CareUnit => "[CARE_UNIT]",
            Label::Organisation => "[ORGANISATION]",
            Label::Date => "[DATE]",
            Label::Age => "[AGE]",
            Label::HprNumber => "[HPR_NUMBER]",
            Label::OrgNumber => "[ORG_NUMBER]",
            Label::AccountNumber => "[ACCOUNT_NUMBER]",
            Label::RecordNumber => "[RECORD_NUMBER]",
            Label::OtherId => "[OTHER_ID]",
        }
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_ranks_are_distinct() {
        let mut ranks = std::collections::HashSet::new();
        for l in Label::ALL {
            assert_eq!(Label::parse(l.as_str()), Some(l));
            assert!(ranks.insert(l.specificity()));
        }
        assert_eq!(Label::parse("person_first"), None);
    }
}
