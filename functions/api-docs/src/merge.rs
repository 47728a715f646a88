//! Merging the base document and the fragments: paths by path and method, components by name,
//! refusing every duplicate, then checking that every local `$ref` resolves.

use crate::error::DocsError;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// One crate's part of the document.
#[derive(Debug, Clone, Copy)]
pub struct Fragment {
    /// The crate that owns it, named in errors.
    pub crate_name: &'static str,
    /// Its YAML text: `paths:` and optionally `components: {schemas, parameters}`.
    pub yaml: &'static str,
}

/// The HTTP methods an OpenAPI path item may hold.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Component kinds a fragment may add to.
const FRAGMENT_COMPONENTS: [&str; 2] = ["schemas", "parameters"];

/// The merged document of `base` and `fragments`.
pub fn merge(base: &str, fragments: &[Fragment]) -> Result<Value, DocsError> {
    let mut document = parse("openapi-base.yaml", base)?;
    let Value::Object(root) = &mut document else {
        return Err(DocsError::Syntax {
            source_name: "openapi-base.yaml",
            message: "the document is not a mapping".to_owned(),
        });
    };
    let mut owners: BTreeMap<(String, String), &'static str> = BTreeMap::new();
    for fragment in fragments {
        let Value::Object(parts) = parse(fragment.crate_name, fragment.yaml)? else {
            return Err(DocsError::Syntax {
                source_name: fragment.crate_name,
                message: "a fragment is a mapping with paths and components".to_owned(),
            });
        };
        for (key, value) in parts {
            match key.as_str() {
                "paths" => add_paths(root, fragment.crate_name, value, &mut owners)?,
                "components" => add_components(root, fragment.crate_name, value)?,
                _ => {
                    return Err(DocsError::UnexpectedKey {
                        source_name: fragment.crate_name,
                        key,
                    });
                }
            }
        }
    }
    check_references(&document, &document)?;
    Ok(document)
}

fn parse(source_name: &'static str, text: &str) -> Result<Value, DocsError> {
    serde_yaml::from_str(text).map_err(|error| DocsError::Syntax {
        source_name,
        message: error.to_string(),
    })
}

/// The child mapping `key` of `parent`, made empty when absent.
fn child<'a>(
    parent: &'a mut Map<String, Value>,
    key: &str,
    source_name: &'static str,
) -> Result<&'a mut Map<String, Value>, DocsError> {
    match parent
        .entry(key.to_owned())
        .or_insert_with(|| Value::Object(Map::new()))
    {
        Value::Object(map) => Ok(map),
        _ => Err(DocsError::Syntax {
            source_name,
            message: format!("{key} is not a mapping"),
        }),
    }
}

fn add_paths(
    root: &mut Map<String, Value>,
    source_name: &'static str,
    paths: Value,
    owners: &mut BTreeMap<(String, String), &'static str>,
) -> Result<(), DocsError> {
    let Value::Object(paths) = paths else {
        return Err(DocsError::Syntax {
            source_name,
            message: "paths is not a mapping".to_owned(),
        });
    };
    let merged = child(root, "paths", "openapi-base.yaml")?;
    for (path, item) in paths {
        let Value::Object(item) = item else {
            return Err(DocsError::Syntax {
                source_name,
                message: format!("paths.{path} is not a mapping"),
            });
        };
        let target = child(merged, &path, source_name)?;
        for (key, operation) in item {
            if METHODS.contains(&key.as_str()) {
                let route = (key.to_ascii_uppercase(), path.clone());
                if let Some(first) = owners.get(&route) {
                    return Err(DocsError::DuplicateRoute {
                        method: route.0,
                        path: route.1,
                        first,
                        second: source_name,
                    });
                }
                owners.insert(route, source_name);
            } else if target.contains_key(&key) {
                // Shared path-level keys (`parameters`, `summary`) must come from one fragment.
                return Err(DocsError::DuplicateComponent {
                    kind: format!("paths.{path}"),
                    name: key,
                    second: source_name,
                });
            }
            target.insert(key, operation);
        }
    }
    Ok(())
}

fn add_components(
    root: &mut Map<String, Value>,
    source_name: &'static str,
    components: Value,
) -> Result<(), DocsError> {
    let Value::Object(components) = components else {
        return Err(DocsError::Syntax {
            source_name,
            message: "components is not a mapping".to_owned(),
        });
    };
    let merged = child(root, "components", "openapi-base.yaml")?;
    for (kind, entries) in components {
        if !FRAGMENT_COMPONENTS.contains(&kind.as_str()) {
            return Err(DocsError::UnexpectedKey {
                source_name,
                key: format!("components.{kind}"),
            });
        }
        let Value::Object(entries) = entries else {
            return Err(DocsError::Syntax {
                source_name,
                message: format!("components.{kind} is not a mapping"),
            });
        };
        let target = child(merged, &kind, source_name)?;
        for (name, entry) in entries {
            if target.contains_key(&name) {
                return Err(DocsError::DuplicateComponent {
                    kind,
                    name,
                    second: source_name,
                });
            }
            target.insert(name, entry);
        }
    }
    Ok(())
}

/// Every `$ref: "#/..."` under `value` must name something in `document`.
fn check_references(document: &Value, value: &Value) -> Result<(), DocsError> {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                let resolves = reference
                    .strip_prefix('#')
                    .and_then(|pointer| document.pointer(pointer))
                    .is_some();
                if !resolves {
                    return Err(DocsError::UnresolvedReference {
                        reference: reference.clone(),
                    });
                }
            }
            map.values()
                .try_for_each(|child| check_references(document, child))
        }
        Value::Array(items) => items
            .iter()
            .try_for_each(|child| check_references(document, child)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\ncomponents:\n  schemas:\n    Problem: {type: object}\n";

    fn fragment(crate_name: &'static str, yaml: &'static str) -> Fragment {
        Fragment { crate_name, yaml }
    }

    #[test]
    fn two_fragments_share_a_path_with_different_methods() {
        let document = merge(
            BASE,
            &[
                fragment("a", "paths:\n  /x:\n    get: {operationId: x-get}\n"),
                fragment("b", "paths:\n  /x:\n    post: {operationId: x-create}\ncomponents:\n  schemas:\n    XCreate: {type: object}\n"),
            ],
        )
        .unwrap();
        assert_eq!(document["paths"]["/x"]["get"]["operationId"], "x-get");
        assert_eq!(document["paths"]["/x"]["post"]["operationId"], "x-create");
        assert_eq!(
            document["components"]["schemas"]["XCreate"]["type"],
            "object"
        );
        assert_eq!(
            document["components"]["schemas"]["Problem"]["type"],
            "object"
        );
    }

    #[test]
    fn a_route_declared_twice_names_both_crates() {
        let error = merge(
            BASE,
            &[
                fragment("api-a", "paths:\n  /x:\n    get: {}\n"),
                fragment("api-b", "paths:\n  /x:\n    get: {}\n"),
            ],
        )
        .unwrap_err();
        assert_eq!(error.code(), "duplicate_route");
        assert_eq!(
            error.to_string(),
            "GET /x is declared by both api-a and api-b"
        );
    }

    #[test]
    fn a_schema_name_declared_twice_is_refused() {
        let error = merge(
            BASE,
            &[fragment(
                "api-a",
                "paths: {}\ncomponents:\n  schemas:\n    Problem: {}\n",
            )],
        )
        .unwrap_err();
        assert_eq!(error.code(), "duplicate_component");
        assert!(error.to_string().contains("schemas.Problem"), "{error}");
    }

    #[test]
    fn a_fragment_may_not_set_info_or_responses() {
        for yaml in [
            "info: {title: x}\n",
            "components:\n  responses:\n    Mine: {}\n",
        ] {
            let error = merge(BASE, &[fragment("api-a", yaml)]).unwrap_err();
            assert_eq!(error.code(), "unexpected_key", "{yaml}");
        }
    }

    #[test]
    fn a_dangling_reference_is_named() {
        let error = merge(
            BASE,
            &[fragment(
                "api-a",
                "paths:\n  /x:\n    get:\n      responses:\n        '404': {$ref: '#/components/responses/Gone'}\n",
            )],
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "$ref #/components/responses/Gone points at nothing in the merged document"
        );
    }

    #[test]
    fn broken_yaml_names_the_fragment() {
        let error = merge(BASE, &[fragment("api-a", "paths: [\n")]).unwrap_err();
        assert_eq!(error.code(), "fragment_syntax");
        assert!(error.to_string().starts_with("api-a: "), "{error}");
    }
}
