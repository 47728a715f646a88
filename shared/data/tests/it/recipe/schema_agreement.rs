//! The serde types and schemas/recipe.schema.json accept and refuse the same documents.

use std::path::PathBuf;

use ida_data::recipe::Recipe;
use ida_data::transform::apply;

use super::fixtures::{case_names, input, recipe_dir};

fn validator() -> jsonschema::Validator {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas/recipe.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

#[test]
fn every_fixture_recipe_is_valid_for_both() {
    let validator = validator();
    for name in case_names() {
        let text =
            std::fs::read_to_string(recipe_dir().join(format!("{name}.recipe.json"))).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{name}: schema says {errors:?}");
        let parsed = Recipe::from_json(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        // What the engine writes back (with impacts) is valid too.
        let applied = apply(&input(), &parsed).unwrap();
        let written = serde_json::to_value(&applied.recipe).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&written)
            .map(|e| e.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "{name} with impacts: schema says {errors:?}"
        );
    }
}

#[test]
fn every_invalid_fixture_is_refused_by_both() {
    let validator = validator();
    let dir = recipe_dir().join("invalid");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert!(
            !validator.is_valid(&value),
            "schema accepts {}",
            path.display()
        );
        assert!(
            Recipe::from_json(&text).is_err(),
            "serde accepts {}",
            path.display()
        );
        seen += 1;
    }
    assert!(seen >= 6);
}
