//! Fuzzes the PHI detector and the surrogate writer: any text must give
//! sorted, non-overlapping, non-empty spans on character boundaries of the
//! original (zero-width characters and all), and a replacement that keeps
//! the text around the spans — never a panic or a hang. The same checks
//! run on generated texts in `tests/it/hostile.rs`
//! (`deid_detector_invariants_on_generated_texts`).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use norclin::deid::gazetteer::{ExtraLists, Gazetteer};
use norclin::deid::rules::RuleSet;
use norclin::deid::{Detector, Key, Policy, Scope, Surrogates};

fn parts() -> &'static (Detector, Surrogates) {
    static PARTS: OnceLock<(Detector, Surrogates)> = OnceLock::new();
    PARTS.get_or_init(|| {
        let rules = RuleSet::load(&[]).unwrap_or_else(|e| panic!("shipped rules: {e}"));
        let gaz = Gazetteer::build(&ExtraLists::default());
        let key = Key::new(b"fuzzing key, not secret".to_vec())
            .unwrap_or_else(|| unreachable!("the key is long enough"));
        (
            Detector::new(rules, gaz, None),
            Surrogates::new(key, Scope::Patient, Policy::default()),
        )
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (detector, surrogates) = parts();
    let dets = detector.detect(&text, "p");
    let mut at = 0;
    for d in &dets {
        assert!(d.start >= at && d.start < d.end && d.end <= text.len());
        assert!(text.is_char_boundary(d.start) && text.is_char_boundary(d.end));
        at = d.end;
    }
    let (out, reps) = surrogates.apply(&text, &dets, "n", "p");
    assert_eq!(reps.len(), dets.len());
    if let (Some(first), Some(last)) = (dets.first(), dets.last()) {
        assert!(out.starts_with(&text[..first.start]));
        assert!(out.ends_with(&text[last.end..]));
    } else {
        assert_eq!(out, text);
    }
});
