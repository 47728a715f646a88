//! The host's route table: API Gateway's resource matching over the routes' template paths
//! (`/projects/{project_id}`). The most specific resource wins, segment by segment from the
//! left (a literal beats a parameter), and only then is the method looked at, as API Gateway
//! does: a known resource without the method is a 405 here (API Gateway answers it like an
//! unknown path).

use crate::serve::error::ServeError;
use ida_runtime::function::{Access, HostedRoute, Trigger};
use percent_encoding::percent_decode_str;

/// One segment of a template path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    /// Matches itself only.
    Literal(&'static str),
    /// Matches any non-empty segment and binds it to the name.
    Parameter(&'static str),
}

/// One resource (template path) and the routes on it.
#[derive(Debug)]
struct Resource {
    template: &'static str,
    segments: Vec<Segment>,
    methods: Vec<(&'static str, Access, HostedRoute)>,
}

/// What a request's method and path select.
#[derive(Debug)]
pub enum RouteMatch<'a> {
    /// A route serves it.
    Found(MatchedRoute<'a>),
    /// The path is a known resource, but not with this method; `allow` lists its methods.
    MethodNotAllowed {
        /// The resource's methods, sorted.
        allow: Vec<&'static str>,
    },
    /// No resource has this path.
    NotFound,
}

/// The route chosen for a request.
#[derive(Debug)]
pub struct MatchedRoute<'a> {
    /// The route's template path, API Gateway's `resource`.
    pub resource: &'static str,
    /// Whether the authorizer runs first.
    pub access: Access,
    /// The bound handler.
    pub route: &'a HostedRoute,
    /// Path parameters by name, percent-decoded.
    pub parameters: Vec<(&'static str, String)>,
}

/// Every hosted route, grouped by resource.
#[derive(Debug, Default)]
pub struct RouteTable {
    resources: Vec<Resource>,
}

impl RouteTable {
    /// The table of `routes`. A route whose trigger is not a REST route, a malformed template,
    /// a method declared twice on one resource, or two templates of the same shape with other
    /// parameter names (`/a/{x}` and `/a/{y}`, which API Gateway refuses too) is an error.
    pub fn new(routes: Vec<HostedRoute>) -> Result<Self, ServeError> {
        let mut table = RouteTable::default();
        for route in routes {
            let Trigger::Route {
                method,
                path,
                access,
            } = route.spec.trigger
            else {
                return Err(ServeError::NotARoute {
                    binary: route.spec.binary,
                });
            };
            let segments = parse_template(path)?;
            match table.resources.iter_mut().find(|r| r.template == path) {
                Some(resource) => {
                    if resource.methods.iter().any(|(m, _, _)| *m == method) {
                        return Err(ServeError::DuplicateRoute { method, path });
                    }
                    resource.methods.push((method, access, route));
                }
                None => {
                    if let Some(twin) = table
                        .resources
                        .iter()
                        .find(|r| same_shape(&r.segments, &segments))
                    {
                        return Err(ServeError::AmbiguousTemplates {
                            first: twin.template,
                            second: path,
                        });
                    }
                    table.resources.push(Resource {
                        template: path,
                        segments,
                        methods: vec![(method, access, route)],
                    });
                }
            }
        }
        Ok(table)
    }

    /// The number of routes.
    pub fn len(&self) -> usize {
        self.resources.iter().map(|r| r.methods.len()).sum()
    }

    /// Whether the table has no route.
    pub fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }

    /// The route for `method` on `path` (without query string).
    pub fn find(&self, method: &str, path: &str) -> RouteMatch<'_> {
        let Some(parts) = split_path(path) else {
            return RouteMatch::NotFound;
        };
        let best = self
            .resources
            .iter()
            .filter(|resource| matches(&resource.segments, &parts))
            .max_by_key(|resource| specificity(&resource.segments));
        let Some(resource) = best else {
            return RouteMatch::NotFound;
        };
        let Some((_, access, route)) = resource
            .methods
            .iter()
            .find(|(m, _, _)| m.eq_ignore_ascii_case(method))
        else {
            let mut allow: Vec<&'static str> =
                resource.methods.iter().map(|(m, _, _)| *m).collect();
            allow.sort_unstable();
            return RouteMatch::MethodNotAllowed { allow };
        };
        let parameters = resource
            .segments
            .iter()
            .zip(&parts)
            .filter_map(|(segment, part)| match segment {
                Segment::Parameter(name) => Some((
                    *name,
                    percent_decode_str(part).decode_utf8_lossy().into_owned(),
                )),
                Segment::Literal(_) => None,
            })
            .collect();
        RouteMatch::Found(MatchedRoute {
            resource: resource.template,
            access: *access,
            route,
            parameters,
        })
    }
}

fn parse_template(path: &'static str) -> Result<Vec<Segment>, ServeError> {
    let malformed = |reason: &'static str| ServeError::MalformedTemplate { path, reason };
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| malformed("it must start with /"))?;
    if rest.is_empty() {
        return Ok(Vec::new());
    }
    rest.split('/')
        .map(|segment| {
            if segment.is_empty() {
                return Err(malformed("it has an empty segment"));
            }
            match segment
                .strip_prefix('{')
                .and_then(|inner| inner.strip_suffix('}'))
            {
                Some(name)
                    if !name.is_empty()
                        && name.chars().all(|c| c.is_ascii_lowercase() || c == '_') =>
                {
                    Ok(Segment::Parameter(name))
                }
                Some(_) => Err(malformed("a parameter name is snake_case")),
                None if segment.contains(['{', '}']) => {
                    Err(malformed("a parameter fills its whole segment"))
                }
                None => Ok(Segment::Literal(segment)),
            }
        })
        .collect()
}

/// The request path's segments; `None` for a path API Gateway would not route (empty segment).
fn split_path(path: &str) -> Option<Vec<&str>> {
    let rest = path.strip_prefix('/')?;
    if rest.is_empty() {
        return Some(Vec::new());
    }
    let parts: Vec<&str> = rest.split('/').collect();
    (!parts.iter().any(|part| part.is_empty())).then_some(parts)
}

fn matches(segments: &[Segment], parts: &[&str]) -> bool {
    segments.len() == parts.len()
        && segments
            .iter()
            .zip(parts)
            .all(|(segment, part)| match segment {
                Segment::Literal(literal) => literal == part,
                Segment::Parameter(_) => true,
            })
}

/// Literal segments first, from the left: `[true, false]` (`/a/{x}`) beats `[false, true]`.
fn specificity(segments: &[Segment]) -> Vec<bool> {
    segments
        .iter()
        .map(|segment| matches!(segment, Segment::Literal(_)))
        .collect()
}

fn same_shape(a: &[Segment], b: &[Segment]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|pair| match pair {
            (Segment::Literal(x), Segment::Literal(y)) => x == y,
            (Segment::Parameter(_), Segment::Parameter(_)) => true,
            _ => false,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ida_runtime::function::FunctionSpec;
    use lambda_http::{Body, Response};
    use proptest::prelude::*;
    use std::sync::Arc;

    macro_rules! spec {
        ($name:ident, $method:literal, $path:literal, $access:expr) => {
            static $name: FunctionSpec = FunctionSpec {
                binary: stringify!($name),
                trigger: Trigger::Route {
                    method: $method,
                    path: $path,
                    access: $access,
                },
                settings: |_| Ok(()),
            };
        };
    }

    spec!(LIST, "GET", "/datasets", Access::Authorized);
    spec!(GET_ONE, "GET", "/datasets/{dataset_id}", Access::Authorized);
    spec!(
        DELETE_ONE,
        "DELETE",
        "/datasets/{dataset_id}",
        Access::Authorized
    );
    spec!(EXPORT, "POST", "/datasets/export", Access::Authorized);
    spec!(
        VERSION,
        "GET",
        "/datasets/{dataset_id}/versions/{version}",
        Access::Authorized
    );
    spec!(HEALTH, "GET", "/health", Access::Public);
    spec!(TWIN, "GET", "/datasets/{other_id}", Access::Authorized);
    spec!(QUEUE, "GET", "/x", Access::Public);

    fn hosted(spec: &'static FunctionSpec) -> HostedRoute {
        HostedRoute::new(spec, Arc::new(()), |_, _| async {
            Ok(Response::new(Body::Empty))
        })
    }

    fn table() -> RouteTable {
        RouteTable::new(
            [&LIST, &GET_ONE, &DELETE_ONE, &EXPORT, &VERSION, &HEALTH]
                .into_iter()
                .map(hosted)
                .collect(),
        )
        .unwrap()
    }

    fn found(table: &RouteTable, method: &str, path: &str) -> (String, Vec<(String, String)>) {
        match table.find(method, path) {
            RouteMatch::Found(matched) => (
                matched.route.spec.binary.to_owned(),
                matched
                    .parameters
                    .into_iter()
                    .map(|(n, v)| (n.to_owned(), v))
                    .collect(),
            ),
            other => panic!("{method} {path}: {other:?}"),
        }
    }

    #[test]
    fn parameters_bind_by_name_and_are_decoded() {
        let table = table();
        assert_eq!(table.len(), 6);
        assert_eq!(
            found(&table, "GET", "/datasets/ds_1/versions/2"),
            (
                "VERSION".to_owned(),
                vec![
                    ("dataset_id".to_owned(), "ds_1".to_owned()),
                    ("version".to_owned(), "2".to_owned())
                ]
            )
        );
        assert_eq!(
            found(&table, "GET", "/datasets/a%20b").1,
            vec![("dataset_id".to_owned(), "a b".to_owned())]
        );
    }

    #[test]
    fn a_literal_segment_wins_over_a_parameter() {
        let table = table();
        assert_eq!(found(&table, "POST", "/datasets/export").0, "EXPORT");
        // The literal resource is chosen first; it has no GET, as in API Gateway.
        match table.find("GET", "/datasets/export") {
            RouteMatch::MethodNotAllowed { allow } => assert_eq!(allow, ["POST"]),
            other => panic!("{other:?}"),
        }
        assert_eq!(found(&table, "DELETE", "/datasets/ds_9").0, "DELETE_ONE");
    }

    #[test]
    fn unknown_paths_and_methods_are_told_apart() {
        let table = table();
        assert!(matches!(
            table.find("GET", "/nothing"),
            RouteMatch::NotFound
        ));
        assert!(matches!(
            table.find("GET", "/datasets//versions"),
            RouteMatch::NotFound
        ));
        assert!(matches!(
            table.find("GET", "/health/"),
            RouteMatch::NotFound
        ));
        match table.find("PUT", "/datasets/ds_1") {
            RouteMatch::MethodNotAllowed { allow } => assert_eq!(allow, ["DELETE", "GET"]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn conflicting_declarations_are_refused() {
        let twin = RouteTable::new(vec![hosted(&GET_ONE), hosted(&TWIN)]).unwrap_err();
        assert_eq!(twin.code(), "ambiguous_templates");
        let twice = RouteTable::new(vec![hosted(&QUEUE), hosted(&QUEUE)]).unwrap_err();
        assert_eq!(twice.code(), "duplicate_route");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn any_id_text_round_trips_through_a_parameter(id in "[A-Za-z0-9_.~-]{1,40}") {
            let table = table();
            let (binary, parameters) = found(&table, "GET", &format!("/datasets/{id}/versions/7"));
            prop_assert_eq!(binary, "VERSION");
            prop_assert_eq!(&parameters[0].1, &id);
        }
    }
}
