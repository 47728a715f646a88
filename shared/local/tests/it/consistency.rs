//! The workspace's declarations agree: every function crate's `FunctionSpec`s, the binaries on
//! disk, the OpenAPI document and `infra/template.yaml` (resources, events, environment, the
//! API's authorizer and gateway responses). Each failure names the function and what differs.

use ida_local::serve::{GatewayProblem, all_functions, function_crates};
use ida_local::template::{BUNDLED_TEMPLATE, Scope, Template};
use ida_runtime::function::{Access, FunctionSpec, Trigger};
use ida_runtime::http::Problem;
use serde_json::{Value, json};
use serde_yaml::Value as Yaml;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const FUNCTION_TYPE: &str = "AWS::Serverless::Function";

/// Variables a settings reader looks at only to choose between alternatives, and that a
/// deployed function leaves unset: the key ring file is the local alternative to the Secrets
/// Manager secret (`ida serve` sets it, the template sets the secret).
const LOCAL_ALTERNATIVES: [&str; 1] = ["IDA_SIGNING_KEYS_FILE"];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The template as YAML, with the resources by logical id.
fn raw_template() -> anyhow::Result<BTreeMap<String, Yaml>> {
    let document: Yaml = serde_yaml::from_str(BUNDLED_TEMPLATE)?;
    let resources = document
        .get("Resources")
        .and_then(Yaml::as_mapping)
        .ok_or_else(|| anyhow::anyhow!("the template has no Resources"))?;
    Ok(resources
        .iter()
        .filter_map(|(id, resource)| Some((id.as_str()?.to_owned(), resource.clone())))
        .collect())
}

fn resource_type(resource: &Yaml) -> &str {
    resource.get("Type").and_then(Yaml::as_str).unwrap_or("")
}

/// The function resource whose `BuildProperties.Binary` is `binary`.
fn function_resource<'a>(
    resources: &'a BTreeMap<String, Yaml>,
    binary: &str,
) -> Vec<(&'a String, &'a Yaml)> {
    resources
        .iter()
        .filter(|(_, resource)| resource_type(resource) == FUNCTION_TYPE)
        .filter(|(_, resource)| {
            resource
                .get("Metadata")
                .and_then(|m| m.get("BuildProperties"))
                .and_then(|b| b.get("Binary"))
                .and_then(Yaml::as_str)
                == Some(binary)
        })
        .collect()
}

/// The target of `!Ref X` or `!GetAtt X.Attr` (short or long form), as `X` / `X.Attr`.
fn intrinsic_target(value: &Yaml) -> Option<(String, String)> {
    match value {
        Yaml::Tagged(tagged) => Some((
            tagged.tag.to_string().trim_start_matches('!').to_owned(),
            tagged.value.as_str()?.to_owned(),
        )),
        Yaml::Mapping(map) if map.len() == 1 => {
            let (key, target) = map.iter().next()?;
            let name = key.as_str()?.trim_start_matches("Fn::").to_owned();
            match target {
                Yaml::Sequence(parts) => Some((
                    name,
                    parts
                        .iter()
                        .filter_map(Yaml::as_str)
                        .collect::<Vec<_>>()
                        .join("."),
                )),
                other => Some((name, other.as_str()?.to_owned())),
            }
        }
        _ => None,
    }
}

#[test]
fn every_binary_on_disk_has_a_function_spec_and_every_crate_is_listed() -> anyhow::Result<()> {
    let listed: BTreeMap<&str, BTreeSet<&str>> = function_crates()
        .into_iter()
        .map(|(name, functions)| (name, functions.iter().map(|f| f.binary).collect()))
        .collect();
    let mut on_disk: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in std::fs::read_dir(repo_root().join("functions"))? {
        let crate_dir = entry?.path();
        let Some(crate_name) = crate_dir.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !crate_dir.join("Cargo.toml").exists() {
            continue;
        }
        let binaries = on_disk.entry(crate_name.to_owned()).or_default();
        if crate_dir.join("src/main.rs").exists() {
            binaries.insert(crate_name.to_owned());
        }
        if let Ok(bins) = std::fs::read_dir(crate_dir.join("src/bin")) {
            for bin in bins {
                let path = bin?.path();
                if path.extension().is_some_and(|e| e == "rs")
                    && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
                {
                    binaries.insert(stem.to_owned());
                }
            }
        }
    }
    let listed_owned: BTreeMap<String, BTreeSet<String>> = listed
        .iter()
        .map(|(name, binaries)| {
            (
                (*name).to_owned(),
                binaries.iter().map(|b| (*b).to_owned()).collect(),
            )
        })
        .collect();
    assert_eq!(
        on_disk, listed_owned,
        "functions/* on disk (left) against ida_local::serve::function_crates() (right)"
    );
    Ok(())
}

#[test]
fn the_document_describes_exactly_the_routes_the_crates_declare() -> anyhow::Result<()> {
    let document = api_docs::document()?;
    let documented: BTreeSet<(String, String, bool, String)> =
        api_docs::documented_routes(&document)
            .into_iter()
            .map(|route| {
                (
                    route.method,
                    route.path,
                    route.public,
                    route.operation_id.unwrap_or_default(),
                )
            })
            .collect();
    let declared: BTreeSet<(String, String, bool, String)> = all_functions()
        .into_iter()
        .filter_map(|spec| match spec.trigger {
            Trigger::Route {
                method,
                path,
                access,
            } => Some((
                method.to_owned(),
                path.to_owned(),
                access == Access::Public,
                spec.binary.to_owned(),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        documented, declared,
        "(method, path, public, operationId) documented (left) against declared (right)"
    );
    Ok(())
}

/// Plausible values for what the template leaves to CloudFormation: each resource's `Ref` and
/// attributes by its type, parameters by their defaults, the pseudo parameters.
fn synthetic_scope(template: &Template) -> Scope {
    let mut scope = Scope::default();
    for (name, parameter) in &template.parameters {
        // The one parameter without a default is the cursor key: 32 bytes of hex.
        let value = parameter
            .default
            .clone()
            .unwrap_or_else(|| "0123456789abcdef".repeat(4));
        scope.parameters.insert(name.clone(), value);
    }
    for (name, value) in [
        ("AWS::Region", "us-east-1"),
        ("AWS::AccountId", "000000000000"),
        ("AWS::Partition", "aws"),
        ("AWS::URLSuffix", "amazonaws.com"),
        ("AWS::StackName", "ida"),
    ] {
        scope.parameters.insert(name.to_owned(), value.to_owned());
    }
    for (id, resource) in &template.resources {
        let name = format!("ida-{}", id.to_ascii_lowercase());
        let (reference, arn) = match resource.resource_type.as_str() {
            "AWS::DynamoDB::Table" => (
                name.clone(),
                format!("arn:aws:dynamodb:us-east-1:000000000000:table/{name}"),
            ),
            "AWS::S3::Bucket" => (name.clone(), format!("arn:aws:s3:::{name}")),
            "AWS::KMS::Key" => (
                "1234abcd-12ab-34cd-56ef-1234567890ab".to_owned(),
                "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab"
                    .to_owned(),
            ),
            "AWS::SQS::Queue" => (
                format!("https://sqs.us-east-1.amazonaws.com/000000000000/{name}"),
                format!("arn:aws:sqs:us-east-1:000000000000:{name}"),
            ),
            "AWS::Serverless::StateMachine" | "AWS::StepFunctions::StateMachine" => {
                let arn = format!("arn:aws:states:us-east-1:000000000000:stateMachine:{name}");
                (arn.clone(), arn)
            }
            _ => (
                name.clone(),
                format!("arn:aws:lambda:us-east-1:000000000000:function:{name}"),
            ),
        };
        scope.refs.insert(id.clone(), reference);
        for attribute in ["Arn", "Name", "QueueName", "QueueUrl", "StreamArn"] {
            let value = match attribute {
                "Arn" | "StreamArn" => arn.clone(),
                _ => name.clone(),
            };
            scope
                .attributes
                .insert((id.clone(), attribute.to_owned()), value);
        }
    }
    scope
}

/// `spec`'s settings reader over `environment`; the variables it read that are not set.
fn unset_reads(
    spec: &FunctionSpec,
    environment: &BTreeMap<String, String>,
) -> (Result<(), String>, BTreeSet<String>) {
    let read = RefCell::new(BTreeSet::new());
    let lookup = |var: &str| {
        read.borrow_mut().insert(var.to_owned());
        environment.get(var).cloned()
    };
    let outcome = (spec.settings)(&lookup).map_err(|error| error.to_string());
    let unset = read
        .into_inner()
        .into_iter()
        .filter(|var| !environment.contains_key(var) && !LOCAL_ALTERNATIVES.contains(&var.as_str()))
        .collect();
    (outcome, unset)
}

#[test]
fn every_function_has_its_resource_trigger_and_environment_in_the_template() -> anyhow::Result<()> {
    let template = Template::parse(BUNDLED_TEMPLATE)?;
    let scope = synthetic_scope(&template);
    let resources = raw_template()?;
    let mut globals = BTreeMap::new();
    for (name, value) in &template.function_environment {
        globals.insert(name.clone(), scope.resolve_string(value)?);
    }
    let mut deployed_routes = BTreeSet::new();
    for (crate_name, functions) in function_crates() {
        for spec in functions {
            let found = function_resource(&resources, spec.binary);
            let [(logical_id, resource)] = found.as_slice() else {
                panic!(
                    "{}: expected one function resource, found {}",
                    spec.binary,
                    found.len()
                );
            };
            let properties = &resource["Properties"];
            assert_eq!(
                properties["CodeUri"].as_str(),
                Some(format!("../functions/{crate_name}").as_str()),
                "{logical_id} CodeUri"
            );
            assert_eq!(
                properties["Handler"].as_str(),
                Some("bootstrap"),
                "{logical_id}"
            );

            let mut environment = globals.clone();
            if let Some(Yaml::Mapping(variables)) = properties
                .get("Environment")
                .and_then(|e| e.get("Variables"))
            {
                for (name, value) in variables {
                    let name = name.as_str().unwrap_or_default().to_owned();
                    environment.insert(name, scope.resolve_string(value)?);
                }
            }
            let (outcome, unset) = unset_reads(spec, &environment);
            assert_eq!(
                outcome,
                Ok(()),
                "{}: settings on the template's environment",
                spec.binary
            );
            assert!(
                unset.is_empty(),
                "{} reads variables the template does not set: {unset:?}",
                spec.binary
            );

            let events: Vec<&Yaml> = properties
                .get("Events")
                .and_then(Yaml::as_mapping)
                .map(|events| events.values().collect())
                .unwrap_or_default();
            match spec.trigger {
                Trigger::Route {
                    method,
                    path,
                    access,
                } => {
                    let [event] = events.as_slice() else {
                        panic!(
                            "{logical_id}: a route has exactly one event, found {}",
                            events.len()
                        );
                    };
                    assert_eq!(event["Type"].as_str(), Some("Api"), "{logical_id}");
                    let event = &event["Properties"];
                    assert_eq!(
                        intrinsic_target(&event["RestApiId"]),
                        Some(("Ref".to_owned(), "Api".to_owned())),
                        "{logical_id} RestApiId"
                    );
                    assert_eq!(event["Path"].as_str(), Some(path), "{logical_id} Path");
                    assert_eq!(
                        event["Method"]
                            .as_str()
                            .map(str::to_ascii_uppercase)
                            .as_deref(),
                        Some(method),
                        "{logical_id} Method"
                    );
                    let authorizer = event
                        .get("Auth")
                        .and_then(|a| a.get("Authorizer"))
                        .and_then(Yaml::as_str);
                    assert_eq!(
                        authorizer == Some("NONE"),
                        access == Access::Public,
                        "{logical_id}: Auth.Authorizer NONE exactly on public routes"
                    );
                    deployed_routes.insert((method.to_owned(), path.to_owned()));
                }
                Trigger::Queue { queue } => {
                    // One binary may drain several queues (dead-letters takes every stage's
                    // DLQ): each of its specs names one, and each has its SQS event.
                    assert!(
                        events
                            .iter()
                            .all(|event| event["Type"].as_str() == Some("SQS")),
                        "{logical_id}: a queue worker has only SQS events"
                    );
                    assert!(
                        events
                            .iter()
                            .any(|event| intrinsic_target(&event["Properties"]["Queue"])
                                == Some(("GetAtt".to_owned(), format!("{queue}.Arn")))),
                        "{logical_id}: an SQS event on {queue}"
                    );
                }
                Trigger::Authorizer => {
                    assert!(
                        events.is_empty(),
                        "{logical_id}: the authorizer has no event"
                    );
                    let auth = &resources["Api"]["Properties"]["Auth"];
                    let default = auth["DefaultAuthorizer"].as_str().unwrap_or_default();
                    let authorizer = &auth["Authorizers"][default];
                    assert_eq!(
                        intrinsic_target(&authorizer["FunctionArn"]),
                        Some(("GetAtt".to_owned(), format!("{logical_id}.Arn"))),
                        "the Api's default authorizer is {logical_id}"
                    );
                    assert_eq!(authorizer["FunctionPayloadType"].as_str(), Some("REQUEST"));
                }
            }
        }
    }

    // The reverse: every Api event of the template is a declared route.
    let mut template_routes = BTreeSet::new();
    for resource in resources
        .values()
        .filter(|r| resource_type(r) == FUNCTION_TYPE)
    {
        if let Some(events) = resource["Properties"]
            .get("Events")
            .and_then(Yaml::as_mapping)
        {
            for event in events
                .values()
                .filter(|e| e["Type"].as_str() == Some("Api"))
            {
                template_routes.insert((
                    event["Properties"]["Method"]
                        .as_str()
                        .unwrap_or_default()
                        .to_ascii_uppercase(),
                    event["Properties"]["Path"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                ));
            }
        }
    }
    assert_eq!(
        template_routes, deployed_routes,
        "Api events (left) against declared routes (right)"
    );
    Ok(())
}

#[test]
fn the_gateway_responses_answer_what_the_host_answers() -> anyhow::Result<()> {
    let resources = raw_template()?;
    let responses = &resources["Api"]["Properties"]["GatewayResponses"];
    for problem in GatewayProblem::templated() {
        let kind = problem.response_type().unwrap_or_default();
        let response = &responses[kind];
        assert_eq!(
            response["StatusCode"].as_str(),
            Some(problem.status().as_str()),
            "{kind} StatusCode"
        );
        assert_eq!(
            response["ResponseParameters"]["Headers"]["Content-Type"].as_str(),
            Some("'application/problem+json'"),
            "{kind} Content-Type"
        );
        let body = response["ResponseTemplates"]["application/json"]
            .as_str()
            .unwrap_or_default()
            .replace("$context.requestId", "req-1");
        let body: Value = serde_json::from_str(&body)?;
        let code = problem.problem_code();
        assert_eq!(
            body,
            json!({
                "type": format!("/problems/{code}"),
                "title": problem.title(),
                "status": problem.status().as_u16(),
                "code": code,
                "correlation_id": "req-1",
            }),
            "{kind} body"
        );
    }
    Ok(())
}
