//! The merged document of every API crate's fragment.

use api_docs::{FRAGMENTS, document, documented_routes};

#[test]
fn every_fragment_merges_into_one_openapi_3_1_document() -> anyhow::Result<()> {
    let document = document()?;
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(document["info"]["title"], "IDA API");
    assert_eq!(
        document["components"]["securitySchemes"]["apiKeyAuth"]["name"],
        "X-Api-Key"
    );
    for response in [
        "BadRequest",
        "Unauthorized",
        "Forbidden",
        "NotFound",
        "Conflict",
        "PreconditionFailed",
        "TooManyRequests",
        "PayloadTooLarge",
        "UnsupportedMediaType",
    ] {
        assert_eq!(
            document["components"]["responses"][response]["content"]["application/problem+json"]["schema"]
                ["$ref"],
            "#/components/schemas/Problem",
            "{response}"
        );
    }
    assert!(
        FRAGMENTS
            .iter()
            .any(|fragment| fragment.crate_name == "api-auth")
    );
    Ok(())
}

#[test]
fn the_public_routes_opt_out_of_security_and_name_their_binary() -> anyhow::Result<()> {
    let routes = documented_routes(&document()?);
    let listed: Vec<(&str, &str, Option<&str>, bool)> = routes
        .iter()
        .filter(|route| route.public)
        .map(|route| {
            (
                route.method.as_str(),
                route.path.as_str(),
                route.operation_id.as_deref(),
                route.public,
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("GET", "/health", Some("health-get"), true),
            ("GET", "/openapi.json", Some("openapi-get"), true),
            ("POST", "/auth/login", Some("auth-login"), true),
            ("POST", "/auth/refresh", Some("auth-refresh"), true),
            ("POST", "/auth/register", Some("auth-register"), true),
        ]
    );
    Ok(())
}
