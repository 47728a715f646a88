//! Reading `infra/template.yaml`: its parameters, resources and function environment, with the
//! CloudFormation intrinsic functions (`!Ref`, `!Sub`, `!GetAtt`, `!Join`, in short-tag or
//! long `Fn::` form) resolved against values the caller supplies. It never talks to AWS.

use std::collections::BTreeMap;

use serde_json::Value as Json;
use serde_yaml::Value as Yaml;

use crate::error::{LocalError, Result};

/// The template the workspace was built with, embedded so every test and `ida serve` read the
/// same file the deployment uses.
pub const BUNDLED_TEMPLATE: &str = include_str!("../../../infra/template.yaml");

/// The state machine definitions the template refers to by `DefinitionUri` (relative to
/// `infra/`), embedded at build time like the template itself.
const BUNDLED_DEFINITIONS: [(&str, &str); 1] = [(
    "../statemachines/pipeline.asl.json",
    include_str!("../../../statemachines/pipeline.asl.json"),
)];

/// The text of a bundled state machine definition, by the template's `DefinitionUri`.
pub fn bundled_definition(uri: &str) -> Option<&'static str> {
    BUNDLED_DEFINITIONS
        .iter()
        .find(|(path, _)| *path == uri)
        .map(|(_, text)| *text)
}

/// One declared parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// `String` or `Number`.
    pub kind: String,
    /// Its default, as a string (CloudFormation passes every parameter as a string).
    pub default: Option<String>,
    /// `NoEcho: true`: a secret the operator supplies at deploy time.
    pub no_echo: bool,
}

/// One declared resource, with its properties still unresolved.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    /// The CloudFormation type, such as `AWS::SQS::Queue`.
    pub resource_type: String,
    /// The `Properties` map (empty when absent).
    pub properties: serde_yaml::Mapping,
}

/// The parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// Parameters by name.
    pub parameters: BTreeMap<String, Parameter>,
    /// Resources by logical id.
    pub resources: BTreeMap<String, Resource>,
    /// `Globals.Function.Environment.Variables`, unresolved.
    pub function_environment: BTreeMap<String, Yaml>,
}

impl Template {
    /// The template embedded at build time.
    pub fn bundled() -> Result<Self> {
        Self::parse(BUNDLED_TEMPLATE)
    }

    /// Parses template text.
    pub fn parse(text: &str) -> Result<Self> {
        let root: Yaml =
            serde_yaml::from_str(text).map_err(|error| LocalError::TemplateSyntax {
                message: error.to_string(),
            })?;
        let mut parameters = BTreeMap::new();
        if let Some(map) = root.get("Parameters").and_then(Yaml::as_mapping) {
            for (name, body) in map {
                let name = yaml_key(name)?;
                let kind = body
                    .get("Type")
                    .and_then(Yaml::as_str)
                    .unwrap_or("String")
                    .to_owned();
                let default = body.get("Default").map(scalar_text).transpose()?;
                let no_echo = body
                    .get("NoEcho")
                    .map(scalar_text)
                    .transpose()?
                    .is_some_and(|text| text == "true");
                parameters.insert(
                    name,
                    Parameter {
                        kind,
                        default,
                        no_echo,
                    },
                );
            }
        }
        let mut resources = BTreeMap::new();
        let declared = root
            .get("Resources")
            .and_then(Yaml::as_mapping)
            .ok_or_else(|| LocalError::TemplateSyntax {
                message: "no Resources map".to_owned(),
            })?;
        for (logical_id, body) in declared {
            let logical_id = yaml_key(logical_id)?;
            let resource_type = body
                .get("Type")
                .and_then(Yaml::as_str)
                .ok_or_else(|| LocalError::TemplateSyntax {
                    message: format!("resource {logical_id} has no Type"),
                })?
                .to_owned();
            let properties = match body.get("Properties") {
                None => serde_yaml::Mapping::new(),
                Some(Yaml::Mapping(map)) => map.clone(),
                Some(_) => {
                    return Err(LocalError::TemplateSyntax {
                        message: format!("resource {logical_id}: Properties is not a map"),
                    });
                }
            };
            resources.insert(
                logical_id,
                Resource {
                    resource_type,
                    properties,
                },
            );
        }
        let mut function_environment = BTreeMap::new();
        if let Some(map) = root
            .get("Globals")
            .and_then(|g| g.get("Function"))
            .and_then(|f| f.get("Environment"))
            .and_then(|e| e.get("Variables"))
            .and_then(Yaml::as_mapping)
        {
            for (name, value) in map {
                function_environment.insert(yaml_key(name)?, value.clone());
            }
        }
        Ok(Template {
            parameters,
            resources,
            function_environment,
        })
    }
}

fn yaml_key(key: &Yaml) -> Result<String> {
    key.as_str()
        .map(str::to_owned)
        .ok_or_else(|| LocalError::TemplateSyntax {
            message: format!("a map key is not a string: {key:?}"),
        })
}

fn scalar_text(value: &Yaml) -> Result<String> {
    match value {
        Yaml::String(text) => Ok(text.clone()),
        Yaml::Number(number) => Ok(number.to_string()),
        Yaml::Bool(flag) => Ok(flag.to_string()),
        other => Err(LocalError::TemplateSyntax {
            message: format!("expected a scalar, found {other:?}"),
        }),
    }
}

/// What the intrinsic functions resolve against: parameters and pseudo parameters, the `Ref`
/// value of each made resource and its attributes.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Parameter values, including `AWS::Region`, `AWS::AccountId` and the other pseudo ones.
    pub parameters: BTreeMap<String, String>,
    /// `Ref` of each resource made so far, by logical id.
    pub refs: BTreeMap<String, String>,
    /// `GetAtt` values, by (logical id, attribute).
    pub attributes: BTreeMap<(String, String), String>,
}

impl Scope {
    /// Resolves a YAML value to JSON, evaluating every intrinsic function in it.
    pub fn resolve(&self, value: &Yaml) -> Result<Json> {
        match value {
            Yaml::Null => Ok(Json::Null),
            Yaml::Bool(flag) => Ok(Json::Bool(*flag)),
            Yaml::Number(number) => {
                serde_json::to_value(number).map_err(|error| LocalError::TemplateSyntax {
                    message: format!("number {number}: {error}"),
                })
            }
            Yaml::String(text) => Ok(Json::String(text.clone())),
            Yaml::Sequence(items) => items
                .iter()
                .map(|item| self.resolve(item))
                .collect::<Result<Vec<_>>>()
                .map(Json::Array),
            Yaml::Tagged(tagged) => {
                let tag = tagged.tag.to_string();
                let name = tag.trim_start_matches('!');
                self.intrinsic(name, &tagged.value).map(Json::String)
            }
            Yaml::Mapping(map) => {
                if map.len() == 1
                    && let Some((Yaml::String(key), argument)) = map.iter().next()
                    && let Some(name) = long_form_name(key)
                {
                    return self.intrinsic(name, argument).map(Json::String);
                }
                let mut object = serde_json::Map::new();
                for (key, item) in map {
                    object.insert(yaml_key(key)?, self.resolve(item)?);
                }
                Ok(Json::Object(object))
            }
        }
    }

    /// Resolves a value that must end up a string.
    pub fn resolve_string(&self, value: &Yaml) -> Result<String> {
        match self.resolve(value)? {
            Json::String(text) => Ok(text),
            Json::Number(number) => Ok(number.to_string()),
            Json::Bool(flag) => Ok(flag.to_string()),
            other => Err(LocalError::Unresolvable {
                expression: format!("{value:?}"),
                message: format!("expected a string, found {other}"),
            }),
        }
    }

    fn intrinsic(&self, name: &str, argument: &Yaml) -> Result<String> {
        let unresolvable = |message: String| LocalError::Unresolvable {
            expression: format!("!{name} {argument:?}"),
            message,
        };
        match name {
            "Ref" => {
                let target = argument
                    .as_str()
                    .ok_or_else(|| unresolvable("Ref takes a name".to_owned()))?;
                self.parameters
                    .get(target)
                    .or_else(|| self.refs.get(target))
                    .cloned()
                    .ok_or_else(|| {
                        unresolvable(format!(
                            "{target} is neither a parameter nor a made resource"
                        ))
                    })
            }
            "GetAtt" => {
                let (logical_id, attribute) = match argument {
                    Yaml::String(path) => path
                        .split_once('.')
                        .map(|(id, attr)| (id.to_owned(), attr.to_owned()))
                        .ok_or_else(|| {
                            unresolvable("GetAtt takes Resource.Attribute".to_owned())
                        })?,
                    Yaml::Sequence(parts) => match parts.as_slice() {
                        [Yaml::String(id), Yaml::String(attr)] => (id.clone(), attr.clone()),
                        _ => {
                            return Err(unresolvable(
                                "GetAtt takes [Resource, Attribute]".to_owned(),
                            ));
                        }
                    },
                    _ => return Err(unresolvable("GetAtt takes Resource.Attribute".to_owned())),
                };
                self.attributes
                    .get(&(logical_id.clone(), attribute.clone()))
                    .cloned()
                    .ok_or_else(|| unresolvable(format!("{logical_id}.{attribute} is not known")))
            }
            "Sub" => match argument {
                Yaml::String(text) => self.substitute(text, &BTreeMap::new()),
                Yaml::Sequence(parts) => match parts.as_slice() {
                    [Yaml::String(text), Yaml::Mapping(map)] => {
                        let mut locals = BTreeMap::new();
                        for (key, value) in map {
                            locals.insert(yaml_key(key)?, self.resolve_string(value)?);
                        }
                        self.substitute(text, &locals)
                    }
                    _ => Err(unresolvable(
                        "Sub takes a string or [string, map]".to_owned(),
                    )),
                },
                _ => Err(unresolvable(
                    "Sub takes a string or [string, map]".to_owned(),
                )),
            },
            "Join" => match argument {
                Yaml::Sequence(parts) => match parts.as_slice() {
                    [Yaml::String(delimiter), Yaml::Sequence(items)] => Ok(items
                        .iter()
                        .map(|item| self.resolve_string(item))
                        .collect::<Result<Vec<_>>>()?
                        .join(delimiter)),
                    _ => Err(unresolvable("Join takes [delimiter, [values]]".to_owned())),
                },
                _ => Err(unresolvable("Join takes [delimiter, [values]]".to_owned())),
            },
            other => Err(unresolvable(format!(
                "the local stack does not evaluate {other}"
            ))),
        }
    }

    /// `Fn::Sub` text: `${Name}` is a parameter, a resource's Ref or a local; `${Id.Attr}` an
    /// attribute; `${!Literal}` stays `${Literal}`.
    fn substitute(&self, text: &str, locals: &BTreeMap<String, String>) -> Result<String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            let (before, after) = rest.split_at(start);
            out.push_str(before);
            let body_and_rest = after.get(2..).unwrap_or_default();
            let end = body_and_rest
                .find('}')
                .ok_or_else(|| LocalError::Unresolvable {
                    expression: text.to_owned(),
                    message: "an unclosed ${".to_owned(),
                })?;
            let (name, tail) = body_and_rest.split_at(end);
            rest = tail.get(1..).unwrap_or_default();
            if let Some(literal) = name.strip_prefix('!') {
                out.push_str("${");
                out.push_str(literal);
                out.push('}');
                continue;
            }
            let value = locals
                .get(name)
                .or_else(|| self.parameters.get(name))
                .or_else(|| self.refs.get(name))
                .cloned()
                .or_else(|| {
                    name.split_once('.').and_then(|(id, attr)| {
                        self.attributes
                            .get(&(id.to_owned(), attr.to_owned()))
                            .cloned()
                    })
                })
                .ok_or_else(|| LocalError::Unresolvable {
                    expression: text.to_owned(),
                    message: format!("${{{name}}} is not known"),
                })?;
            out.push_str(&value);
        }
        out.push_str(rest);
        Ok(out)
    }
}

fn long_form_name(key: &str) -> Option<&str> {
    match key {
        "Ref" => Some("Ref"),
        "Fn::GetAtt" => Some("GetAtt"),
        "Fn::Sub" => Some("Sub"),
        "Fn::Join" => Some("Join"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn scope() -> Scope {
        let mut scope = Scope::default();
        scope
            .parameters
            .insert("NamePrefix".into(), "ida-t1".into());
        scope
            .parameters
            .insert("AWS::Region".into(), "us-east-1".into());
        scope.refs.insert("Queue".into(), "http://q/url".into());
        scope.attributes.insert(
            ("Queue".into(), "Arn".into()),
            "arn:aws:sqs:us-east-1:0:q".into(),
        );
        scope
    }

    fn yaml(text: &str) -> Yaml {
        serde_yaml::from_str(text).unwrap()
    }

    #[test]
    fn short_tags_and_long_forms_resolve_alike() {
        let scope = scope();
        let short = yaml("a: !Sub \"${NamePrefix}-parse\"\nb: !GetAtt Queue.Arn\nc: !Ref Queue");
        let long = yaml(
            "a: {\"Fn::Sub\": \"${NamePrefix}-parse\"}\nb: {\"Fn::GetAtt\": [Queue, Arn]}\nc: {Ref: Queue}",
        );
        let expected = serde_json::json!({"a": "ida-t1-parse", "b": "arn:aws:sqs:us-east-1:0:q", "c": "http://q/url"});
        assert_eq!(scope.resolve(&short).unwrap(), expected);
        assert_eq!(scope.resolve(&long).unwrap(), expected);
    }

    #[test]
    fn sub_keeps_escaped_literals_and_uses_locals() {
        let scope = scope();
        let value = yaml("!Sub [\"${!Kept}/${Local}/${Queue.Arn}\", {Local: !Ref NamePrefix}]");
        assert_eq!(
            scope.resolve(&value).unwrap(),
            Json::String("${Kept}/ida-t1/arn:aws:sqs:us-east-1:0:q".into())
        );
    }

    #[test]
    fn join_concatenates_resolved_parts() {
        let value = yaml("!Join [\"-\", [!Ref NamePrefix, x, !Ref \"AWS::Region\"]]");
        assert_eq!(
            scope().resolve(&value).unwrap(),
            Json::String("ida-t1-x-us-east-1".into())
        );
    }

    #[test]
    fn an_unknown_reference_is_an_error_naming_it() {
        let error = scope().resolve(&yaml("!Ref Missing")).unwrap_err();
        assert_eq!(error.code(), "unresolvable");
        assert!(error.to_string().contains("Missing"), "{error}");
        let error = scope().resolve(&yaml("!Sub \"${Nope}\"")).unwrap_err();
        assert!(error.to_string().contains("${Nope}"), "{error}");
        let error = scope().resolve(&yaml("!Sub \"${NamePrefix\"")).unwrap_err();
        assert!(error.to_string().contains("unclosed"), "{error}");
    }

    #[test]
    fn the_bundled_template_parses_with_its_parameters_and_resources() {
        let template = Template::bundled().unwrap();
        assert_eq!(
            template.parameters["MaxReceiveCount"].default.as_deref(),
            Some("5")
        );
        assert_eq!(
            template.resources["RecordsTable"].resource_type,
            "AWS::DynamoDB::Table"
        );
        assert_eq!(
            template.function_environment.keys().collect::<Vec<_>>(),
            [
                "IDA_ARTIFACTS_BUCKET",
                "IDA_CURSOR_KEY",
                "IDA_KMS_KEY_ARN",
                "IDA_LOG_LEVEL",
                "IDA_RECORDS_TABLE",
                "IDA_UPLOADS_BUCKET"
            ]
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        // Text without "${" passes through Sub unchanged, whatever else it holds.
        #[test]
        fn sub_leaves_text_without_references_alone(text in "[^$]{0,40}") {
            prop_assert_eq!(scope().substitute(&text, &BTreeMap::new()).unwrap(), text);
        }

        // Each ${...} reference is replaced by its value and nothing else changes.
        #[test]
        fn sub_replaces_each_reference(left in "[a-z/:-]{0,10}", right in "[a-z/:-]{0,10}") {
            let text = format!("{left}${{NamePrefix}}{right}${{Queue.Arn}}");
            let expected = format!("{left}ida-t1{right}arn:aws:sqs:us-east-1:0:q");
            prop_assert_eq!(scope().substitute(&text, &BTreeMap::new()).unwrap(), expected);
        }
    }
}
