//! Column names: empty names get their position (`column_3`), repeated names get a suffix
//! (`amount`, `amount_2`), deterministically and without colliding with names already present.

use std::collections::HashSet;

/// Makes `raw` names unique: an empty (or blank) name at one-based position `n` becomes
/// `column_n`; a repeated name gets `_2`, `_3`, ... (skipping suffixes already taken).
pub fn unique_names<S: AsRef<str>>(raw: &[S]) -> Vec<String> {
    let wanted: Vec<String> = raw
        .iter()
        .enumerate()
        .map(|(index, name)| {
            let name = name.as_ref().trim();
            if name.is_empty() {
                format!("column_{}", index + 1)
            } else {
                name.to_owned()
            }
        })
        .collect();
    // Names written in the source win over generated suffixes: `a, a, a_2` gives `a, a_3, a_2`.
    let mut taken: HashSet<String> = HashSet::with_capacity(wanted.len());
    let mut first_seen: HashSet<&str> = HashSet::with_capacity(wanted.len());
    let source_names: HashSet<&str> = wanted.iter().map(String::as_str).collect();
    let mut unique = Vec::with_capacity(wanted.len());
    for name in &wanted {
        let name = name.as_str();
        if first_seen.insert(name) && !taken.contains(name) {
            taken.insert(name.to_owned());
            unique.push(name.to_owned());
            continue;
        }
        let mut suffix = 2usize;
        let renamed = loop {
            let candidate = format!("{name}_{suffix}");
            if !taken.contains(&candidate) && !source_names.contains(candidate.as_str()) {
                break candidate;
            }
            suffix += 1;
        };
        taken.insert(renamed.clone());
        unique.push(renamed);
    }
    unique
}

/// `column_1`, `column_2`, ... for a table without a header.
pub(super) fn positional_names(count: usize) -> Vec<String> {
    (1..=count).map(|n| format!("column_{n}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn duplicates_and_empties_are_renamed() {
        let names = unique_names(&["amount", "amount", "", "amount", " "]);
        assert_eq!(
            names,
            ["amount", "amount_2", "column_3", "amount_3", "column_5"]
        );
    }

    #[test]
    fn names_in_the_source_keep_their_spelling() {
        let names = unique_names(&["a", "a", "a_2"]);
        assert_eq!(names, ["a", "a_3", "a_2"]);
        let names = unique_names(&["column_2", ""]);
        assert_eq!(names, ["column_2", "column_2_2"]);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn names_are_unique_and_as_many(raw in proptest::collection::vec("[a_2 ]{0,3}", 0..12)) {
            let names = unique_names(&raw);
            prop_assert_eq!(names.len(), raw.len());
            let set: HashSet<&String> = names.iter().collect();
            prop_assert_eq!(set.len(), names.len());
            prop_assert!(names.iter().all(|n| !n.is_empty()));
        }
    }
}
