//! The crate's OpenAPI fragment documents exactly the routes it deploys, each under its
//! binary's name as operationId.

use ida_runtime::function::Trigger;
use std::collections::BTreeSet;

#[test]
fn the_fragment_documents_every_route_and_nothing_else() {
    let fragment: serde_yaml::Value =
        serde_yaml::from_str(include_str!("../../openapi.yaml")).unwrap();
    let mut documented = BTreeSet::new();
    for (path, item) in fragment["paths"].as_mapping().unwrap() {
        for (method, operation) in item.as_mapping().unwrap() {
            let method = method.as_str().unwrap();
            if method == "parameters" {
                continue;
            }
            documented.insert((
                method.to_ascii_uppercase(),
                path.as_str().unwrap().to_owned(),
                operation["operationId"].as_str().unwrap().to_owned(),
            ));
        }
    }
    let deployed: BTreeSet<_> = api_uploads::FUNCTIONS
        .iter()
        .map(|spec| match spec.trigger {
            Trigger::Route { method, path, .. } => {
                (method.to_owned(), path.to_owned(), spec.binary.to_owned())
            }
            other => panic!("{} is not a route: {other:?}", spec.binary),
        })
        .collect();
    assert_eq!(documented, deployed);
}
