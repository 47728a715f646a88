//! The crate's OpenAPI fragment must describe exactly the routes it deploys: one operation per
//! function, named after its binary, at its method and path.

#[cfg(test)]
mod tests {
    use crate::FUNCTIONS;
    use ida_runtime::function::Trigger;
    use std::collections::BTreeSet;

    #[test]
    fn the_fragment_documents_every_route_and_nothing_else() {
        let fragment: serde_yaml::Value =
            serde_yaml::from_str(include_str!("../openapi.yaml")).unwrap();
        let mut documented = BTreeSet::new();
        for (path, operations) in fragment["paths"].as_mapping().unwrap() {
            for (method, operation) in operations.as_mapping().unwrap() {
                documented.insert((
                    method.as_str().unwrap().to_ascii_uppercase(),
                    path.as_str().unwrap().to_owned(),
                    operation["operationId"].as_str().unwrap().to_owned(),
                ));
            }
        }
        let served: BTreeSet<_> = FUNCTIONS
            .iter()
            .map(|spec| match spec.trigger {
                Trigger::Route { method, path, .. } => {
                    (method.to_owned(), path.to_owned(), spec.binary.to_owned())
                }
                other => panic!("{} is not a route: {other:?}", spec.binary),
            })
            .collect();
        assert_eq!(documented, served);
    }
}
