//! Provisioning the resources of `infra/template.yaml` on the emulators under a fresh name
//! prefix, and tearing them down again. Every resource of the template must be either made here
//! or knowingly hosted in process (functions, the REST API); anything else is an error, and so is
//! a resource the local stack needs that the template lacks. It never invents a resource shape:
//! names, keys, indexes, attributes and redrive settings all come from the template.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types as ddb;
use aws_sdk_s3::types as s3;
use aws_sdk_sqs::types::QueueAttributeName;
use serde_json::Value as Json;

use crate::endpoints::{AwsClients, Endpoints, LOCAL_ACCOUNT_ID};
use crate::error::{LocalError, Result};
use crate::template::{Resource, Scope, Template, bundled_definition};

/// The queues of the pipeline, each with its dead-letter queue in the template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PipelineQueue {
    /// S3 ObjectCreated events of the uploads bucket.
    UploadEvents,
    /// The Parse stage.
    Parse,
    /// The Profile stage.
    Profile,
    /// The Plan stage.
    Plan,
    /// The AwaitApproval stage.
    AwaitApproval,
    /// The Transform stage.
    Transform,
    /// The Activate stage.
    Activate,
    /// The RecordFailure stage.
    RecordFailure,
}

impl PipelineQueue {
    /// Every pipeline queue.
    pub const ALL: [PipelineQueue; 8] = [
        PipelineQueue::UploadEvents,
        PipelineQueue::Parse,
        PipelineQueue::Profile,
        PipelineQueue::Plan,
        PipelineQueue::AwaitApproval,
        PipelineQueue::Transform,
        PipelineQueue::Activate,
        PipelineQueue::RecordFailure,
    ];

    /// The stem of the queue's logical ids, such as `AwaitApproval`.
    pub fn stem(self) -> &'static str {
        match self {
            PipelineQueue::UploadEvents => "UploadEvents",
            PipelineQueue::Parse => "Parse",
            PipelineQueue::Profile => "Profile",
            PipelineQueue::Plan => "Plan",
            PipelineQueue::AwaitApproval => "AwaitApproval",
            PipelineQueue::Transform => "Transform",
            PipelineQueue::Activate => "Activate",
            PipelineQueue::RecordFailure => "RecordFailure",
        }
    }

    /// The logical id of the queue in the template, such as `ParseQueue`.
    pub fn logical_id(self) -> String {
        format!("{}Queue", self.stem())
    }

    /// The logical id of its dead-letter queue, such as `ParseDeadLetterQueue`.
    pub fn dead_letter_logical_id(self) -> String {
        format!("{}DeadLetterQueue", self.stem())
    }
}

/// The logical ids the local stack gives a role to, with their types.
const RECORDS_TABLE: &str = "RecordsTable";
const UPLOADS_BUCKET: &str = "UploadsBucket";
const ARTIFACTS_BUCKET: &str = "ArtifactsBucket";
const DATA_KEY: &str = "DataKey";

const TABLE_TYPE: &str = "AWS::DynamoDB::Table";
const BUCKET_TYPE: &str = "AWS::S3::Bucket";
const KEY_TYPE: &str = "AWS::KMS::Key";
const QUEUE_TYPE: &str = "AWS::SQS::Queue";
const QUEUE_POLICY_TYPE: &str = "AWS::SQS::QueuePolicy";
const STATE_MACHINE_TYPE: &str = "AWS::Serverless::StateMachine";
/// The logical id of the pipeline's state machine.
const PIPELINE_STATE_MACHINE: &str = "PipelineStateMachine";
/// Types that `ida serve` hosts in process instead of provisioning (LocalStack cannot run Lambda).
const IN_PROCESS_TYPES: [&str; 2] = ["AWS::Serverless::Function", "AWS::Serverless::Api"];

/// Properties applied on the emulators, and those knowingly not emulated, per type.
fn known_properties(resource_type: &str) -> &'static [&'static str] {
    match resource_type {
        TABLE_TYPE => &[
            "TableName",
            "BillingMode",
            "AttributeDefinitions",
            "KeySchema",
            "GlobalSecondaryIndexes",
            "TimeToLiveSpecification",
            // DynamoDB Local has neither backups nor encryption at rest.
            "PointInTimeRecoverySpecification",
            "SSESpecification",
        ],
        BUCKET_TYPE => &[
            "BucketName",
            "BucketEncryption",
            "PublicAccessBlockConfiguration",
            "VersioningConfiguration",
            "NotificationConfiguration",
        ],
        KEY_TYPE => &["Description", "EnableKeyRotation", "KeyPolicy"],
        QUEUE_TYPE => &[
            "QueueName",
            "VisibilityTimeout",
            "MessageRetentionPeriod",
            "DelaySeconds",
            "ReceiveMessageWaitTimeSeconds",
            "MaximumMessageSize",
            "SqsManagedSseEnabled",
            "RedrivePolicy",
        ],
        QUEUE_POLICY_TYPE => &["Queues", "PolicyDocument"],
        STATE_MACHINE_TYPE => &[
            "Name",
            "Type",
            "DefinitionUri",
            "DefinitionSubstitutions",
            // Applied as the inline policy of a role made for it (LocalStack does not enforce it).
            "Policies",
        ],
        _ => &[],
    }
}

/// A queue as made on the emulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueHandle {
    /// Its name.
    pub name: String,
    /// Its URL, for SQS calls.
    pub url: String,
    /// Its ARN, for redrive and notifications.
    pub arn: String,
}

/// A pipeline queue with its dead-letter queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionedQueue {
    /// The queue workers read.
    pub queue: QueueHandle,
    /// Where messages go after `maxReceiveCount` receives.
    pub dead_letter: QueueHandle,
    /// The redrive's `maxReceiveCount`, as resolved from the template.
    pub max_receive_count: u32,
}

/// Parameter values that replace the template's defaults for one provisioning.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParameterOverrides(BTreeMap<String, String>);

impl ParameterOverrides {
    /// No overrides: the template's production defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets one parameter (its name must be declared in the template).
    pub fn set(mut self, name: impl Into<String>, value: impl ToString) -> Self {
        self.0.insert(name.into(), value.to_string());
        self
    }
}

/// The emulators with clients built for them: the entry point of the local stack.
#[derive(Debug, Clone)]
pub struct LocalStack {
    /// Where the emulators listen.
    pub endpoints: Endpoints,
    /// The SDK clients pointed at them.
    pub clients: AwsClients,
}

impl LocalStack {
    /// Clients for the emulators named by the environment (see [`Endpoints::from_env`]).
    pub async fn from_env() -> Self {
        Self::connect(Endpoints::from_env()).await
    }

    /// Clients for the given endpoints.
    pub async fn connect(endpoints: Endpoints) -> Self {
        let clients = AwsClients::connect(&endpoints).await;
        LocalStack { endpoints, clients }
    }

    /// Provisions the bundled template with its default parameters under a fresh prefix.
    pub async fn provision(&self) -> Result<ProvisionedStack> {
        self.provision_with(&ParameterOverrides::new()).await
    }

    /// Provisions the bundled template with some parameters overridden.
    pub async fn provision_with(&self, overrides: &ParameterOverrides) -> Result<ProvisionedStack> {
        let template = Template::bundled()?;
        self.provision_template(&template, overrides).await
    }

    /// Provisions a given template under a fresh prefix. On failure, whatever was already made
    /// is deleted again before the error is returned.
    pub async fn provision_template(
        &self,
        template: &Template,
        overrides: &ParameterOverrides,
    ) -> Result<ProvisionedStack> {
        let plan = Plan::check(template)?;
        let unique: String = uuid::Uuid::new_v4()
            .simple()
            .to_string()
            .chars()
            .take(10)
            .collect();
        let prefix = format!("ida-{unique}");
        let parameters = resolve_parameters(template, overrides, &prefix)?;
        let mut scope = Scope {
            parameters: parameters.clone(),
            ..Scope::default()
        };
        scope.parameters.extend([
            ("AWS::Region".to_owned(), self.endpoints.region.clone()),
            ("AWS::AccountId".to_owned(), LOCAL_ACCOUNT_ID.to_owned()),
            ("AWS::Partition".to_owned(), "aws".to_owned()),
            ("AWS::URLSuffix".to_owned(), "amazonaws.com".to_owned()),
            ("AWS::StackName".to_owned(), prefix.clone()),
        ]);
        let mut made = Made::default();
        let builder = Builder {
            clients: &self.clients,
            template,
            plan: &plan,
            scope: &mut scope,
            made: &mut made,
        };
        if let Err(error) = builder.build().await {
            if let Err(cleanup) = made.delete_all(&self.clients).await {
                tracing::warn!(%cleanup, "cleanup after a failed provisioning left resources behind");
            }
            return Err(error);
        }
        let lookup = |logical_id: &str| {
            scope
                .refs
                .get(logical_id)
                .cloned()
                .ok_or_else(|| LocalError::TemplateLacks {
                    logical_id: logical_id.to_owned(),
                    resource_type: "a made resource".to_owned(),
                })
        };
        let mut queues = BTreeMap::new();
        for role in PipelineQueue::ALL {
            let queue = made.queue(&role.logical_id())?;
            let dead_letter = made.queue(&role.dead_letter_logical_id())?;
            let max_receive_count = made.max_receive_count(&role.logical_id())?;
            queues.insert(
                role,
                ProvisionedQueue {
                    queue,
                    dead_letter,
                    max_receive_count,
                },
            );
        }
        let mut function_environment = BTreeMap::new();
        for (name, value) in &template.function_environment {
            function_environment.insert(name.clone(), scope.resolve_string(value)?);
        }
        Ok(ProvisionedStack {
            prefix,
            records_table: lookup(RECORDS_TABLE)?,
            uploads_bucket: lookup(UPLOADS_BUCKET)?,
            artifacts_bucket: lookup(ARTIFACTS_BUCKET)?,
            kms_key_arn: scope
                .attributes
                .get(&(DATA_KEY.to_owned(), "Arn".to_owned()))
                .cloned()
                .unwrap_or_default(),
            queues,
            parameters,
            function_environment,
            hosted_in_process: plan.in_process,
            clients: self.clients.clone(),
            function_variables: function_variables(template)?,
            scope,
            made: Some(made),
        })
    }
}

/// What `provision` made: real names, URLs and ARNs, and the clients to use them.
#[derive(Debug)]
pub struct ProvisionedStack {
    /// The unique prefix of every name (the template's `NamePrefix`).
    pub prefix: String,
    /// The records table's name.
    pub records_table: String,
    /// The uploads bucket's name.
    pub uploads_bucket: String,
    /// The artifacts bucket's name.
    pub artifacts_bucket: String,
    /// The data key's ARN.
    pub kms_key_arn: String,
    /// Every pipeline queue with its dead-letter queue.
    pub queues: BTreeMap<PipelineQueue, ProvisionedQueue>,
    /// The parameter values used (defaults with the overrides applied).
    pub parameters: BTreeMap<String, String>,
    /// The functions' environment (`Globals.Function.Environment`), resolved for this stack.
    pub function_environment: BTreeMap<String, String>,
    /// Logical ids of resources `ida serve` hosts in process (functions, the REST API).
    pub hosted_in_process: Vec<String>,
    /// The clients the stack was made with.
    pub clients: AwsClients,
    /// Each function's own `Environment.Variables`, unresolved, by logical id.
    function_variables: BTreeMap<String, BTreeMap<String, serde_yaml::Value>>,
    /// What the template's references resolve to on this stack.
    scope: Scope,
    made: Option<Made>,
}

impl ProvisionedStack {
    /// One pipeline queue. Every [`PipelineQueue`] is present once provisioning succeeded.
    pub fn queue(&self, role: PipelineQueue) -> Result<&ProvisionedQueue> {
        self.queues
            .get(&role)
            .ok_or_else(|| LocalError::TemplateLacks {
                logical_id: role.logical_id(),
                resource_type: QUEUE_TYPE.to_owned(),
            })
    }

    /// Any queue of the stack by its logical id, such as `ParseDeadLetterQueue`.
    pub fn queue_by_logical_id(&self, logical_id: &str) -> Result<QueueHandle> {
        self.made
            .as_ref()
            .ok_or_else(|| LocalError::TemplateLacks {
                logical_id: logical_id.to_owned(),
                resource_type: QUEUE_TYPE.to_owned(),
            })?
            .queue(logical_id)
    }

    /// The ARN of the pipeline's state machine, made from `statemachines/pipeline.asl.json`.
    pub fn state_machine_arn(&self) -> Result<&str> {
        self.made
            .as_ref()
            .and_then(|made| made.state_machines.get(PIPELINE_STATE_MACHINE))
            .map(String::as_str)
            .ok_or_else(|| LocalError::TemplateLacks {
                logical_id: PIPELINE_STATE_MACHINE.to_owned(),
                resource_type: STATE_MACHINE_TYPE.to_owned(),
            })
    }

    /// The environment the template gives one function: the globals, then the function's own
    /// `Environment.Variables` (such as `IDA_STATE_MACHINE_ARN`), resolved for this stack.
    pub fn environment_of(&self, logical_id: &str) -> Result<BTreeMap<String, String>> {
        let own =
            self.function_variables
                .get(logical_id)
                .ok_or_else(|| LocalError::TemplateLacks {
                    logical_id: logical_id.to_owned(),
                    resource_type: "AWS::Serverless::Function".to_owned(),
                })?;
        let mut environment = self.function_environment.clone();
        for (name, value) in own {
            environment.insert(name.clone(), self.scope.resolve_string(value)?);
        }
        Ok(environment)
    }

    /// Deletes everything provisioning made: buckets (with every object version), queues, the
    /// table, and schedules the key's deletion. Tries every resource and reports the first failure.
    pub async fn teardown(mut self) -> Result<()> {
        match self.made.take() {
            Some(made) => made.delete_all(&self.clients).await,
            None => Ok(()),
        }
    }
}

impl Drop for ProvisionedStack {
    fn drop(&mut self) {
        if let Some(made) = &self.made {
            // Drop cannot wait for the emulators; say what is left instead of failing.
            tracing::warn!(
                prefix = %self.prefix,
                resources = made.count(),
                "a provisioned stack was dropped without teardown(); its resources stay on the emulators"
            );
        }
    }
}

/// Which template resources are made here, and which are hosted in process.
#[derive(Debug)]
struct Plan {
    queues: Vec<String>,
    queue_policies: Vec<String>,
    state_machines: Vec<String>,
    in_process: Vec<String>,
}

impl Plan {
    /// Checks the template against the local stack's roles, both ways.
    fn check(template: &Template) -> Result<Plan> {
        let mut required: BTreeMap<String, &str> = BTreeMap::from([
            (RECORDS_TABLE.to_owned(), TABLE_TYPE),
            (UPLOADS_BUCKET.to_owned(), BUCKET_TYPE),
            (ARTIFACTS_BUCKET.to_owned(), BUCKET_TYPE),
            (DATA_KEY.to_owned(), KEY_TYPE),
            (PIPELINE_STATE_MACHINE.to_owned(), STATE_MACHINE_TYPE),
        ]);
        for role in PipelineQueue::ALL {
            required.insert(role.logical_id(), QUEUE_TYPE);
            required.insert(role.dead_letter_logical_id(), QUEUE_TYPE);
        }
        for (logical_id, resource_type) in &required {
            match template.resources.get(logical_id) {
                Some(resource) if resource.resource_type == *resource_type => {}
                _ => {
                    return Err(LocalError::TemplateLacks {
                        logical_id: logical_id.clone(),
                        resource_type: (*resource_type).to_owned(),
                    });
                }
            }
        }
        let mut plan = Plan {
            queues: Vec::new(),
            queue_policies: Vec::new(),
            state_machines: Vec::new(),
            in_process: Vec::new(),
        };
        for (logical_id, resource) in &template.resources {
            let kind = resource.resource_type.as_str();
            if IN_PROCESS_TYPES.contains(&kind) {
                plan.in_process.push(logical_id.clone());
                continue;
            }
            if kind == QUEUE_POLICY_TYPE {
                plan.queue_policies.push(logical_id.clone());
            } else if ![
                TABLE_TYPE,
                BUCKET_TYPE,
                KEY_TYPE,
                QUEUE_TYPE,
                STATE_MACHINE_TYPE,
            ]
            .contains(&kind)
            {
                return Err(LocalError::UnsupportedResource {
                    logical_id: logical_id.clone(),
                    resource_type: kind.to_owned(),
                });
            } else if !required.contains_key(logical_id) {
                return Err(LocalError::UnmappedResource {
                    logical_id: logical_id.clone(),
                    resource_type: kind.to_owned(),
                });
            } else if kind == QUEUE_TYPE {
                plan.queues.push(logical_id.clone());
            } else if kind == STATE_MACHINE_TYPE {
                plan.state_machines.push(logical_id.clone());
            }
            let known = known_properties(kind);
            if let Some(property) = resource
                .properties
                .keys()
                .filter_map(serde_yaml::Value::as_str)
                .find(|name| !known.contains(name))
            {
                return Err(LocalError::UnknownProperty {
                    logical_id: logical_id.clone(),
                    property: property.to_owned(),
                });
            }
        }
        Ok(plan)
    }
}

fn resolve_parameters(
    template: &Template,
    overrides: &ParameterOverrides,
    prefix: &str,
) -> Result<BTreeMap<String, String>> {
    if let Some(unknown) = overrides
        .0
        .keys()
        .find(|name| !template.parameters.contains_key(*name))
    {
        return Err(LocalError::Parameter {
            name: unknown.clone(),
            message: "is overridden but the template declares no such parameter".to_owned(),
        });
    }
    let mut values = BTreeMap::new();
    for (name, parameter) in &template.parameters {
        let value = if name == "NamePrefix" {
            overrides
                .0
                .get(name)
                .cloned()
                .unwrap_or_else(|| prefix.to_owned())
        } else if let Some(value) = overrides.0.get(name).or(parameter.default.as_ref()) {
            value.clone()
        } else if parameter.no_echo {
            // A secret an operator generates at deploy time: each local stack gets its own.
            local_secret_hex(name)?
        } else {
            return Err(LocalError::Parameter {
                name: name.clone(),
                message: "has no default and no override".to_owned(),
            });
        };
        if parameter.kind == "Number" && value.parse::<f64>().is_err() {
            return Err(LocalError::Parameter {
                name: name.clone(),
                message: format!("is a Number, but {value:?} is not a number"),
            });
        }
        values.insert(name.clone(), value);
    }
    Ok(values)
}

/// 32 random bytes as lowercase hex, the value a local stack uses for a `NoEcho` parameter.
fn local_secret_hex(name: &str) -> Result<String> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| LocalError::Parameter {
        name: name.to_owned(),
        message: format!("cannot generate a secret value: {e}"),
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Everything made so far, so a failure or a teardown deletes exactly that.
#[derive(Debug, Default)]
struct Made {
    key_id: Option<String>,
    table: Option<String>,
    buckets: Vec<String>,
    queues: BTreeMap<String, QueueHandle>,
    max_receive_counts: BTreeMap<String, u32>,
    /// State machine ARNs by logical id.
    state_machines: BTreeMap<String, String>,
    /// Names of the roles made for the state machines.
    roles: Vec<String>,
}

impl Made {
    fn count(&self) -> usize {
        usize::from(self.key_id.is_some())
            + usize::from(self.table.is_some())
            + self.buckets.len()
            + self.queues.len()
            + self.state_machines.len()
            + self.roles.len()
    }

    fn queue(&self, logical_id: &str) -> Result<QueueHandle> {
        self.queues
            .get(logical_id)
            .cloned()
            .ok_or_else(|| LocalError::TemplateLacks {
                logical_id: logical_id.to_owned(),
                resource_type: QUEUE_TYPE.to_owned(),
            })
    }

    fn max_receive_count(&self, logical_id: &str) -> Result<u32> {
        self.max_receive_counts
            .get(logical_id)
            .copied()
            .ok_or_else(|| LocalError::InvalidProperty {
                logical_id: logical_id.to_owned(),
                property: "RedrivePolicy".to_owned(),
                message: "a pipeline queue needs a redrive policy to its dead-letter queue"
                    .to_owned(),
            })
    }

    async fn delete_all(&self, clients: &AwsClients) -> Result<()> {
        let mut first_error = None;
        let mut note = |result: Result<()>| {
            if let Err(error) = result {
                tracing::warn!(%error, "teardown step failed");
                first_error.get_or_insert(error);
            }
        };
        for arn in self.state_machines.values() {
            note(
                clients
                    .sfn
                    .delete_state_machine()
                    .state_machine_arn(arn)
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| LocalError::emulator("DeleteStateMachine", arn, e)),
            );
        }
        for role in &self.roles {
            note(delete_role(&clients.iam, role).await);
        }
        for bucket in &self.buckets {
            note(empty_and_delete_bucket(&clients.s3, bucket).await);
        }
        for queue in self.queues.values() {
            note(
                clients
                    .sqs
                    .delete_queue()
                    .queue_url(&queue.url)
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| LocalError::emulator("DeleteQueue", &queue.name, e)),
            );
        }
        if let Some(table) = &self.table {
            note(
                clients
                    .dynamodb
                    .delete_table()
                    .table_name(table)
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| LocalError::emulator("DeleteTable", table, e)),
            );
        }
        if let Some(key_id) = &self.key_id {
            note(
                clients
                    .kms
                    .schedule_key_deletion()
                    .key_id(key_id)
                    .pending_window_in_days(7)
                    .send()
                    .await
                    .map(drop)
                    .map_err(|e| LocalError::emulator("ScheduleKeyDeletion", key_id, e)),
            );
        }
        first_error.map_or(Ok(()), Err)
    }
}

async fn empty_and_delete_bucket(client: &aws_sdk_s3::Client, bucket: &str) -> Result<()> {
    let mut doomed = Vec::new();
    let mut key_marker = None;
    let mut version_marker = None;
    loop {
        let page = client
            .list_object_versions()
            .bucket(bucket)
            .set_key_marker(key_marker.take())
            .set_version_id_marker(version_marker.take())
            .send()
            .await
            .map_err(|e| LocalError::emulator("ListObjectVersions", bucket, e))?;
        let versions = page.versions().iter().map(|v| {
            (
                v.key().map(str::to_owned),
                v.version_id().map(str::to_owned),
            )
        });
        let markers = page.delete_markers().iter().map(|m| {
            (
                m.key().map(str::to_owned),
                m.version_id().map(str::to_owned),
            )
        });
        for (key, version_id) in versions.chain(markers) {
            if let Some(key) = key {
                doomed.push((key, version_id));
            }
        }
        if page.is_truncated() != Some(true) {
            break;
        }
        key_marker = page.next_key_marker().map(str::to_owned);
        version_marker = page.next_version_id_marker().map(str::to_owned);
    }
    for (key, version_id) in doomed {
        client
            .delete_object()
            .bucket(bucket)
            .key(&key)
            .set_version_id(version_id)
            .send()
            .await
            .map_err(|e| LocalError::emulator("DeleteObject", format!("{bucket}/{key}"), e))?;
    }
    client
        .delete_bucket()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| LocalError::emulator("DeleteBucket", bucket, e))?;
    Ok(())
}

/// One provisioning run: makes the resources in dependency order.
struct Builder<'a> {
    clients: &'a AwsClients,
    template: &'a Template,
    plan: &'a Plan,
    scope: &'a mut Scope,
    made: &'a mut Made,
}

impl Builder<'_> {
    async fn build(self) -> Result<()> {
        let Builder {
            clients,
            template,
            plan,
            scope,
            made,
        } = self;
        let resource = |logical_id: &str| -> Result<&Resource> {
            template
                .resources
                .get(logical_id)
                .ok_or_else(|| LocalError::TemplateLacks {
                    logical_id: logical_id.to_owned(),
                    resource_type: "any".to_owned(),
                })
        };
        make_key(clients, DATA_KEY, resource(DATA_KEY)?, scope, made).await?;
        for logical_id in &plan.queues {
            make_queue(clients, logical_id, resource(logical_id)?, scope, made).await?;
        }
        // Redrive and policies refer to other queues' ARNs, so they follow once all exist.
        for logical_id in &plan.queues {
            set_redrive(clients, logical_id, resource(logical_id)?, scope, made).await?;
        }
        for logical_id in &plan.queue_policies {
            set_queue_policy(clients, logical_id, resource(logical_id)?, scope).await?;
        }
        make_table(
            clients,
            RECORDS_TABLE,
            resource(RECORDS_TABLE)?,
            scope,
            made,
        )
        .await?;
        for logical_id in [UPLOADS_BUCKET, ARTIFACTS_BUCKET] {
            make_bucket(clients, logical_id, resource(logical_id)?, scope, made).await?;
        }
        for logical_id in &plan.state_machines {
            make_state_machine(clients, logical_id, resource(logical_id)?, scope, made).await?;
        }
        Ok(())
    }
}

/// The resolved properties of a resource as one JSON object.
fn properties(resource: &Resource, scope: &Scope) -> Result<serde_json::Map<String, Json>> {
    match scope.resolve(&serde_yaml::Value::Mapping(resource.properties.clone()))? {
        Json::Object(map) => Ok(map),
        _ => Ok(serde_json::Map::new()),
    }
}

fn text_of(value: &Json) -> Option<String> {
    match value {
        Json::String(text) => Some(text.clone()),
        Json::Number(number) => Some(number.to_string()),
        Json::Bool(flag) => Some(flag.to_string()),
        _ => None,
    }
}

fn required_text(
    props: &serde_json::Map<String, Json>,
    logical_id: &str,
    property: &str,
) -> Result<String> {
    props
        .get(property)
        .and_then(text_of)
        .ok_or_else(|| LocalError::InvalidProperty {
            logical_id: logical_id.to_owned(),
            property: property.to_owned(),
            message: "missing or not a string".to_owned(),
        })
}

fn invalid(logical_id: &str, property: &str, message: impl ToString) -> LocalError {
    LocalError::InvalidProperty {
        logical_id: logical_id.to_owned(),
        property: property.to_owned(),
        message: message.to_string(),
    }
}

fn is_true(value: Option<&Json>) -> bool {
    value.and_then(text_of).is_some_and(|text| text == "true")
}

async fn make_key(
    clients: &AwsClients,
    logical_id: &str,
    resource: &Resource,
    scope: &mut Scope,
    made: &mut Made,
) -> Result<()> {
    let props = properties(resource, scope)?;
    let mut request = clients.kms.create_key();
    if let Some(description) = props.get("Description").and_then(text_of) {
        request = request.description(description);
    }
    if let Some(policy) = props.get("KeyPolicy") {
        request = request.policy(policy.to_string());
    }
    let created = request
        .send()
        .await
        .map_err(|e| LocalError::emulator("CreateKey", logical_id, e))?;
    let metadata = created
        .key_metadata()
        .ok_or_else(|| invalid(logical_id, "KeyMetadata", "CreateKey returned no key"))?;
    let key_id = metadata.key_id().to_owned();
    let arn = metadata.arn().unwrap_or_default().to_owned();
    made.key_id = Some(key_id.clone());
    if is_true(props.get("EnableKeyRotation")) {
        clients
            .kms
            .enable_key_rotation()
            .key_id(&key_id)
            .send()
            .await
            .map_err(|e| LocalError::emulator("EnableKeyRotation", logical_id, e))?;
    }
    scope.refs.insert(logical_id.to_owned(), key_id.clone());
    scope
        .attributes
        .insert((logical_id.to_owned(), "KeyId".to_owned()), key_id);
    scope
        .attributes
        .insert((logical_id.to_owned(), "Arn".to_owned()), arn);
    Ok(())
}

async fn make_queue(
    clients: &AwsClients,
    logical_id: &str,
    resource: &Resource,
    scope: &mut Scope,
    made: &mut Made,
) -> Result<()> {
    let props = properties(resource, scope)?;
    let name = required_text(&props, logical_id, "QueueName")?;
    let mut request = clients.sqs.create_queue().queue_name(&name);
    for (property, value) in &props {
        let attribute = match property.as_str() {
            "VisibilityTimeout" => QueueAttributeName::VisibilityTimeout,
            "MessageRetentionPeriod" => QueueAttributeName::MessageRetentionPeriod,
            "DelaySeconds" => QueueAttributeName::DelaySeconds,
            "ReceiveMessageWaitTimeSeconds" => QueueAttributeName::ReceiveMessageWaitTimeSeconds,
            "MaximumMessageSize" => QueueAttributeName::MaximumMessageSize,
            "SqsManagedSseEnabled" => QueueAttributeName::SqsManagedSseEnabled,
            _ => continue,
        };
        let text = text_of(value).ok_or_else(|| invalid(logical_id, property, "not a scalar"))?;
        request = request.attributes(attribute, text);
    }
    let url = request
        .send()
        .await
        .map_err(|e| LocalError::emulator("CreateQueue", &name, e))?
        .queue_url()
        .unwrap_or_default()
        .to_owned();
    let arn = clients
        .sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| LocalError::emulator("GetQueueAttributes", &name, e))?
        .attributes()
        .and_then(|attributes| attributes.get(&QueueAttributeName::QueueArn))
        .cloned()
        .ok_or_else(|| invalid(logical_id, "Arn", "the emulator reported no queue ARN"))?;
    scope.refs.insert(logical_id.to_owned(), url.clone());
    scope
        .attributes
        .insert((logical_id.to_owned(), "Arn".to_owned()), arn.clone());
    scope.attributes.insert(
        (logical_id.to_owned(), "QueueName".to_owned()),
        name.clone(),
    );
    scope
        .attributes
        .insert((logical_id.to_owned(), "QueueUrl".to_owned()), url.clone());
    made.queues
        .insert(logical_id.to_owned(), QueueHandle { name, url, arn });
    Ok(())
}

async fn set_redrive(
    clients: &AwsClients,
    logical_id: &str,
    resource: &Resource,
    scope: &Scope,
    made: &mut Made,
) -> Result<()> {
    let props = properties(resource, scope)?;
    let Some(redrive) = props.get("RedrivePolicy") else {
        return Ok(());
    };
    let target = redrive
        .get("deadLetterTargetArn")
        .and_then(text_of)
        .ok_or_else(|| invalid(logical_id, "RedrivePolicy.deadLetterTargetArn", "missing"))?;
    let count_text = redrive
        .get("maxReceiveCount")
        .and_then(text_of)
        .ok_or_else(|| invalid(logical_id, "RedrivePolicy.maxReceiveCount", "missing"))?;
    let count: u32 = count_text.parse().map_err(|_| {
        invalid(
            logical_id,
            "RedrivePolicy.maxReceiveCount",
            format!("{count_text:?} is not a count"),
        )
    })?;
    let policy = serde_json::json!({"deadLetterTargetArn": target, "maxReceiveCount": count});
    let queue = made.queue(logical_id)?;
    clients
        .sqs
        .set_queue_attributes()
        .queue_url(&queue.url)
        .attributes(QueueAttributeName::RedrivePolicy, policy.to_string())
        .send()
        .await
        .map_err(|e| LocalError::emulator("SetQueueAttributes", &queue.name, e))?;
    made.max_receive_counts.insert(logical_id.to_owned(), count);
    Ok(())
}

async fn set_queue_policy(
    clients: &AwsClients,
    logical_id: &str,
    resource: &Resource,
    scope: &Scope,
) -> Result<()> {
    let props = properties(resource, scope)?;
    let document = props
        .get("PolicyDocument")
        .ok_or_else(|| invalid(logical_id, "PolicyDocument", "missing"))?
        .to_string();
    let urls = props
        .get("Queues")
        .and_then(Json::as_array)
        .ok_or_else(|| invalid(logical_id, "Queues", "missing or not a list"))?;
    for url in urls {
        let url = text_of(url).ok_or_else(|| invalid(logical_id, "Queues", "not a queue URL"))?;
        clients
            .sqs
            .set_queue_attributes()
            .queue_url(&url)
            .attributes(QueueAttributeName::Policy, &document)
            .send()
            .await
            .map_err(|e| LocalError::emulator("SetQueueAttributes", &url, e))?;
    }
    Ok(())
}

fn key_schema(
    logical_id: &str,
    value: Option<&Json>,
    property: &str,
) -> Result<Vec<ddb::KeySchemaElement>> {
    let elements = value
        .and_then(Json::as_array)
        .ok_or_else(|| invalid(logical_id, property, "missing or not a list"))?;
    elements
        .iter()
        .map(|element| {
            ddb::KeySchemaElement::builder()
                .set_attribute_name(element.get("AttributeName").and_then(text_of))
                .set_key_type(
                    element
                        .get("KeyType")
                        .and_then(text_of)
                        .map(|t| ddb::KeyType::from(t.as_str())),
                )
                .build()
                .map_err(|e| invalid(logical_id, property, e))
        })
        .collect()
}

async fn make_table(
    clients: &AwsClients,
    logical_id: &str,
    resource: &Resource,
    scope: &mut Scope,
    made: &mut Made,
) -> Result<()> {
    let props = properties(resource, scope)?;
    let name = required_text(&props, logical_id, "TableName")?;
    let definitions = props
        .get("AttributeDefinitions")
        .and_then(Json::as_array)
        .ok_or_else(|| invalid(logical_id, "AttributeDefinitions", "missing or not a list"))?
        .iter()
        .map(|definition| {
            ddb::AttributeDefinition::builder()
                .set_attribute_name(definition.get("AttributeName").and_then(text_of))
                .set_attribute_type(
                    definition
                        .get("AttributeType")
                        .and_then(text_of)
                        .map(|t| ddb::ScalarAttributeType::from(t.as_str())),
                )
                .build()
                .map_err(|e| invalid(logical_id, "AttributeDefinitions", e))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut request = clients
        .dynamodb
        .create_table()
        .table_name(&name)
        .set_attribute_definitions(Some(definitions))
        .set_key_schema(Some(key_schema(
            logical_id,
            props.get("KeySchema"),
            "KeySchema",
        )?));
    if let Some(mode) = props.get("BillingMode").and_then(text_of) {
        request = request.billing_mode(ddb::BillingMode::from(mode.as_str()));
    }
    if let Some(indexes) = props.get("GlobalSecondaryIndexes") {
        let indexes = indexes
            .as_array()
            .ok_or_else(|| invalid(logical_id, "GlobalSecondaryIndexes", "not a list"))?;
        for index in indexes {
            let projection = ddb::Projection::builder()
                .set_projection_type(
                    index
                        .get("Projection")
                        .and_then(|p| p.get("ProjectionType"))
                        .and_then(text_of)
                        .map(|t| ddb::ProjectionType::from(t.as_str())),
                )
                .set_non_key_attributes(
                    index
                        .get("Projection")
                        .and_then(|p| p.get("NonKeyAttributes"))
                        .and_then(Json::as_array)
                        .map(|names| names.iter().filter_map(text_of).collect()),
                )
                .build();
            let built = ddb::GlobalSecondaryIndex::builder()
                .set_index_name(index.get("IndexName").and_then(text_of))
                .set_key_schema(Some(key_schema(
                    logical_id,
                    index.get("KeySchema"),
                    "GlobalSecondaryIndexes.KeySchema",
                )?))
                .projection(projection)
                .build()
                .map_err(|e| invalid(logical_id, "GlobalSecondaryIndexes", e))?;
            request = request.global_secondary_indexes(built);
        }
    }
    let created = request
        .send()
        .await
        .map_err(|e| LocalError::emulator("CreateTable", &name, e))?;
    made.table = Some(name.clone());
    let arn = created
        .table_description()
        .and_then(|d| d.table_arn())
        .unwrap_or_default()
        .to_owned();
    if let Some(ttl) = props.get("TimeToLiveSpecification")
        && is_true(ttl.get("Enabled"))
    {
        let specification = ddb::TimeToLiveSpecification::builder()
            .set_attribute_name(ttl.get("AttributeName").and_then(text_of))
            .enabled(true)
            .build()
            .map_err(|e| invalid(logical_id, "TimeToLiveSpecification", e))?;
        clients
            .dynamodb
            .update_time_to_live()
            .table_name(&name)
            .time_to_live_specification(specification)
            .send()
            .await
            .map_err(|e| LocalError::emulator("UpdateTimeToLive", &name, e))?;
    }
    scope.refs.insert(logical_id.to_owned(), name.clone());
    scope
        .attributes
        .insert((logical_id.to_owned(), "Arn".to_owned()), arn);
    Ok(())
}

async fn make_bucket(
    clients: &AwsClients,
    logical_id: &str,
    resource: &Resource,
    scope: &mut Scope,
    made: &mut Made,
) -> Result<()> {
    let props = properties(resource, scope)?;
    let name = required_text(&props, logical_id, "BucketName")?;
    let s3c = &clients.s3;
    s3c.create_bucket()
        .bucket(&name)
        .send()
        .await
        .map_err(|e| LocalError::emulator("CreateBucket", &name, e))?;
    made.buckets.push(name.clone());
    scope.refs.insert(logical_id.to_owned(), name.clone());
    scope.attributes.insert(
        (logical_id.to_owned(), "Arn".to_owned()),
        format!("arn:aws:s3:::{name}"),
    );

    if let Some(encryption) = props.get("BucketEncryption") {
        let mut configuration = s3::ServerSideEncryptionConfiguration::builder();
        let rules = encryption
            .get("ServerSideEncryptionConfiguration")
            .and_then(Json::as_array)
            .ok_or_else(|| {
                invalid(
                    logical_id,
                    "BucketEncryption",
                    "no ServerSideEncryptionConfiguration list",
                )
            })?;
        for rule in rules {
            let default = rule.get("ServerSideEncryptionByDefault");
            let by_default = s3::ServerSideEncryptionByDefault::builder()
                .set_sse_algorithm(
                    default
                        .and_then(|d| d.get("SSEAlgorithm"))
                        .and_then(text_of)
                        .map(|a| s3::ServerSideEncryption::from(a.as_str())),
                )
                .set_kms_master_key_id(
                    default
                        .and_then(|d| d.get("KMSMasterKeyID"))
                        .and_then(text_of),
                )
                .build()
                .map_err(|e| invalid(logical_id, "BucketEncryption", e))?;
            configuration = configuration.rules(
                s3::ServerSideEncryptionRule::builder()
                    .apply_server_side_encryption_by_default(by_default)
                    .bucket_key_enabled(is_true(rule.get("BucketKeyEnabled")))
                    .build(),
            );
        }
        s3c.put_bucket_encryption()
            .bucket(&name)
            .server_side_encryption_configuration(
                configuration
                    .build()
                    .map_err(|e| invalid(logical_id, "BucketEncryption", e))?,
            )
            .send()
            .await
            .map_err(|e| LocalError::emulator("PutBucketEncryption", &name, e))?;
    }
    if let Some(block) = props.get("PublicAccessBlockConfiguration") {
        let configuration = s3::PublicAccessBlockConfiguration::builder()
            .block_public_acls(is_true(block.get("BlockPublicAcls")))
            .block_public_policy(is_true(block.get("BlockPublicPolicy")))
            .ignore_public_acls(is_true(block.get("IgnorePublicAcls")))
            .restrict_public_buckets(is_true(block.get("RestrictPublicBuckets")))
            .build();
        s3c.put_public_access_block()
            .bucket(&name)
            .public_access_block_configuration(configuration)
            .send()
            .await
            .map_err(|e| LocalError::emulator("PutPublicAccessBlock", &name, e))?;
    }
    if let Some(versioning) = props.get("VersioningConfiguration") {
        let status = versioning
            .get("Status")
            .and_then(text_of)
            .ok_or_else(|| invalid(logical_id, "VersioningConfiguration.Status", "missing"))?;
        s3c.put_bucket_versioning()
            .bucket(&name)
            .versioning_configuration(
                s3::VersioningConfiguration::builder()
                    .status(s3::BucketVersioningStatus::from(status.as_str()))
                    .build(),
            )
            .send()
            .await
            .map_err(|e| LocalError::emulator("PutBucketVersioning", &name, e))?;
    }
    if let Some(notification) = props.get("NotificationConfiguration") {
        let mut configuration = s3::NotificationConfiguration::builder();
        for property in notification.as_object().into_iter().flat_map(|o| o.keys()) {
            if property != "QueueConfigurations" {
                return Err(invalid(
                    logical_id,
                    &format!("NotificationConfiguration.{property}"),
                    "the local stack only delivers queue notifications",
                ));
            }
        }
        let queues = notification
            .get("QueueConfigurations")
            .and_then(Json::as_array)
            .ok_or_else(|| {
                invalid(
                    logical_id,
                    "NotificationConfiguration.QueueConfigurations",
                    "not a list",
                )
            })?;
        for queue in queues {
            let built = s3::QueueConfiguration::builder()
                .set_queue_arn(queue.get("Queue").and_then(text_of))
                .set_events(
                    queue
                        .get("Event")
                        .and_then(text_of)
                        .map(|event| vec![s3::Event::from(event.as_str())]),
                )
                .build()
                .map_err(|e| {
                    invalid(
                        logical_id,
                        "NotificationConfiguration.QueueConfigurations",
                        e,
                    )
                })?;
            configuration = configuration.queue_configurations(built);
        }
        s3c.put_bucket_notification_configuration()
            .bucket(&name)
            .notification_configuration(configuration.build())
            .send()
            .await
            .map_err(|e| LocalError::emulator("PutBucketNotificationConfiguration", &name, e))?;
    }
    Ok(())
}

/// Each function's own `Environment.Variables`, unresolved (they may refer to resources made
/// later, such as the state machine).
fn function_variables(
    template: &Template,
) -> Result<BTreeMap<String, BTreeMap<String, serde_yaml::Value>>> {
    let mut functions = BTreeMap::new();
    for (logical_id, resource) in &template.resources {
        if resource.resource_type != "AWS::Serverless::Function" {
            continue;
        }
        let mut variables = BTreeMap::new();
        if let Some(map) = resource
            .properties
            .get("Environment")
            .and_then(|e| e.get("Variables"))
            .and_then(serde_yaml::Value::as_mapping)
        {
            for (name, value) in map {
                let name = name.as_str().ok_or_else(|| {
                    invalid(
                        logical_id,
                        "Environment.Variables",
                        "a variable name is not a string",
                    )
                })?;
                variables.insert(name.to_owned(), value.clone());
            }
        }
        functions.insert(logical_id.clone(), variables);
    }
    Ok(functions)
}

/// Makes a state machine from its bundled definition with the template's substitutions applied,
/// under a role that holds the template's policies (LocalStack needs a role ARN; it does not
/// enforce the policies, AWS does).
async fn make_state_machine(
    clients: &AwsClients,
    logical_id: &str,
    resource: &Resource,
    scope: &mut Scope,
    made: &mut Made,
) -> Result<()> {
    let props = properties(resource, scope)?;
    let name = required_text(&props, logical_id, "Name")?;
    let uri = required_text(&props, logical_id, "DefinitionUri")?;
    let definition = bundled_definition(&uri).ok_or_else(|| {
        invalid(
            logical_id,
            "DefinitionUri",
            format!("{uri} is not a definition the local stack bundles"),
        )
    })?;
    let mut substitutions = BTreeMap::new();
    if let Some(map) = props.get("DefinitionSubstitutions") {
        let map = map
            .as_object()
            .ok_or_else(|| invalid(logical_id, "DefinitionSubstitutions", "not a map"))?;
        for (key, value) in map {
            let value = text_of(value)
                .ok_or_else(|| invalid(logical_id, "DefinitionSubstitutions", "not a scalar"))?;
            substitutions.insert(key.clone(), value);
        }
    }
    let definition = substitute_definition(definition, &substitutions)
        .map_err(|message| invalid(logical_id, "DefinitionSubstitutions", message))?;
    let role_name = format!("{name}-role");
    let trust = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "states.amazonaws.com"},
            "Action": "sts:AssumeRole"
        }]
    });
    let role_arn = clients
        .iam
        .create_role()
        .role_name(&role_name)
        .assume_role_policy_document(trust.to_string())
        .send()
        .await
        .map_err(|e| LocalError::emulator("CreateRole", &role_name, e))?
        .role()
        .map(|role| role.arn().to_owned())
        .ok_or_else(|| invalid(logical_id, "Role", "CreateRole returned no role"))?;
    made.roles.push(role_name.clone());
    let policies = props.get("Policies").and_then(Json::as_array);
    for (index, document) in policies.into_iter().flatten().enumerate() {
        if !document.is_object() {
            return Err(invalid(
                logical_id,
                "Policies",
                "the local stack applies inline policy documents only",
            ));
        }
        clients
            .iam
            .put_role_policy()
            .role_name(&role_name)
            .policy_name(format!("{logical_id}Policy{index}"))
            .policy_document(document.to_string())
            .send()
            .await
            .map_err(|e| LocalError::emulator("PutRolePolicy", &role_name, e))?;
    }
    let mut request = clients
        .sfn
        .create_state_machine()
        .name(&name)
        .definition(definition)
        .role_arn(role_arn);
    if let Some(kind) = props.get("Type").and_then(text_of) {
        request = request.r#type(aws_sdk_sfn::types::StateMachineType::from(kind.as_str()));
    }
    let arn = request
        .send()
        .await
        .map_err(|e| LocalError::emulator("CreateStateMachine", &name, e))?
        .state_machine_arn()
        .to_owned();
    made.state_machines
        .insert(logical_id.to_owned(), arn.clone());
    scope.refs.insert(logical_id.to_owned(), arn.clone());
    scope
        .attributes
        .insert((logical_id.to_owned(), "Arn".to_owned()), arn);
    scope
        .attributes
        .insert((logical_id.to_owned(), "Name".to_owned()), name);
    Ok(())
}

/// Replaces each `${Key}` of a definition with its substitution, as CloudFormation does; a
/// reference without a substitution is an error naming it.
fn substitute_definition(
    definition: &str,
    substitutions: &BTreeMap<String, String>,
) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(definition.len());
    let mut rest = definition;
    while let Some(start) = rest.find("${") {
        let (before, after) = rest.split_at(start);
        out.push_str(before);
        let body = after.get(2..).unwrap_or_default();
        let end = body
            .find('}')
            .ok_or_else(|| "the definition has an unclosed ${".to_owned())?;
        let (key, tail) = body.split_at(end);
        let value = substitutions
            .get(key)
            .ok_or_else(|| format!("the definition uses ${{{key}}}, which has no substitution"))?;
        out.push_str(value);
        rest = tail.get(1..).unwrap_or_default();
    }
    out.push_str(rest);
    Ok(out)
}

async fn delete_role(client: &aws_sdk_iam::Client, role: &str) -> Result<()> {
    let policies = client
        .list_role_policies()
        .role_name(role)
        .send()
        .await
        .map_err(|e| LocalError::emulator("ListRolePolicies", role, e))?;
    for policy in policies.policy_names() {
        client
            .delete_role_policy()
            .role_name(role)
            .policy_name(policy)
            .send()
            .await
            .map_err(|e| LocalError::emulator("DeleteRolePolicy", role, e))?;
    }
    client
        .delete_role()
        .role_name(role)
        .send()
        .await
        .map_err(|e| LocalError::emulator("DeleteRole", role, e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::BUNDLED_TEMPLATE;

    fn template_with(edit: impl FnOnce(&str) -> String) -> Template {
        Template::parse(&edit(BUNDLED_TEMPLATE)).unwrap()
    }

    #[test]
    fn the_bundled_template_matches_the_local_stack() {
        let plan = Plan::check(&Template::bundled().unwrap()).unwrap();
        assert_eq!(plan.queues.len(), 16);
        assert_eq!(plan.queue_policies, ["UploadEventsQueuePolicy"]);
        assert_eq!(plan.state_machines, ["PipelineStateMachine"]);
        // Every function group adds its functions: check the kind, not the growing list.
        let template = Template::bundled().unwrap();
        assert!(plan.in_process.iter().any(|id| id == "Api"));
        assert!(plan.in_process.iter().any(|id| id == "HealthFunction"));
        assert!(plan.in_process.iter().all(|id| {
            IN_PROCESS_TYPES.contains(&template.resources[id].resource_type.as_str())
        }));
    }

    #[test]
    fn a_queue_missing_from_the_template_fails_loudly() {
        let template = template_with(|text| text.replace("PlanQueue:", "PlanningQueue:"));
        let error = Plan::check(&template).unwrap_err();
        assert_eq!(error.code(), "template_lacks");
        assert!(error.to_string().contains("PlanQueue"), "{error}");
    }

    #[test]
    fn a_template_resource_without_a_local_role_fails_loudly() {
        let template = template_with(|text| {
            text.replace(
                "  ArtifactsBucket:\n",
                "  ExportsBucket:\n    Type: AWS::S3::Bucket\n\n  ArtifactsBucket:\n",
            )
        });
        let error = Plan::check(&template).unwrap_err();
        assert_eq!(error.code(), "unmapped_resource");
        assert!(error.to_string().contains("ExportsBucket"), "{error}");
    }

    #[test]
    fn an_unknown_resource_type_fails_loudly() {
        let template = template_with(|text| {
            text.replace(
                "  Api:\n",
                "  Pipeline:\n    Type: AWS::Serverless::LayerVersion\n\n  Api:\n",
            )
        });
        let error = Plan::check(&template).unwrap_err();
        assert_eq!(error.code(), "unsupported_resource");
    }

    #[test]
    fn definition_substitutions_replace_every_reference_and_name_a_missing_one() {
        let substitutions =
            BTreeMap::from([("ParseQueueUrl".to_owned(), "http://q/parse".to_owned())]);
        assert_eq!(
            substitute_definition("{\"QueueUrl\": \"${ParseQueueUrl}\"}", &substitutions).unwrap(),
            "{\"QueueUrl\": \"http://q/parse\"}"
        );
        let error = substitute_definition("${PlanQueueUrl}", &substitutions).unwrap_err();
        assert!(error.contains("PlanQueueUrl"), "{error}");
        // The bundled definition uses only what the template substitutes.
        let template = Template::bundled().unwrap();
        let machine = &template.resources["PipelineStateMachine"];
        let keys: BTreeMap<String, String> = machine.properties["DefinitionSubstitutions"]
            .as_mapping()
            .unwrap()
            .keys()
            .map(|key| (key.as_str().unwrap().to_owned(), "x".to_owned()))
            .collect();
        let uri = machine.properties["DefinitionUri"].as_str().unwrap();
        let text = substitute_definition(bundled_definition(uri).unwrap(), &keys).unwrap();
        let parsed: Json = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["StartAt"], "ResumeAt");
    }

    #[test]
    fn an_unknown_property_fails_loudly() {
        let template = template_with(|text| {
            text.replace(
                "      BillingMode: PAY_PER_REQUEST\n",
                "      BillingMode: PAY_PER_REQUEST\n      TableClass: STANDARD_INFREQUENT_ACCESS\n",
            )
        });
        let error = Plan::check(&template).unwrap_err();
        assert_eq!(error.code(), "unknown_property");
        assert!(error.to_string().contains("TableClass"), "{error}");
    }

    #[test]
    fn overrides_replace_defaults_and_unknown_ones_are_refused() {
        let template = Template::bundled().unwrap();
        let values = resolve_parameters(
            &template,
            &ParameterOverrides::new().set("MaxReceiveCount", 2),
            "ida-x",
        )
        .unwrap();
        assert_eq!(values["MaxReceiveCount"], "2");
        assert_eq!(values["StageVisibilityTimeoutSeconds"], "5400");
        assert_eq!(values["NamePrefix"], "ida-x");
        let error = resolve_parameters(
            &template,
            &ParameterOverrides::new().set("MaxRecieveCount", 2),
            "ida-x",
        )
        .unwrap_err();
        assert_eq!(error.code(), "parameter");
        let error = resolve_parameters(
            &template,
            &ParameterOverrides::new().set("MaxReceiveCount", "two"),
            "ida-x",
        )
        .unwrap_err();
        assert!(error.to_string().contains("not a number"), "{error}");
    }

    #[test]
    fn a_no_echo_parameter_without_a_value_gets_a_fresh_secret_per_stack() {
        let template = Template::bundled().unwrap();
        assert!(template.parameters["CursorKey"].no_echo);
        let first = resolve_parameters(&template, &ParameterOverrides::new(), "ida-x").unwrap();
        let second = resolve_parameters(&template, &ParameterOverrides::new(), "ida-y").unwrap();
        let key = &first["CursorKey"];
        assert_eq!(key.len(), 64);
        assert!(
            key.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
            "{key}"
        );
        assert_ne!(key, &second["CursorKey"]);
        let chosen = "ab".repeat(32);
        let values = resolve_parameters(
            &template,
            &ParameterOverrides::new().set("CursorKey", &chosen),
            "ida-x",
        )
        .unwrap();
        assert_eq!(values["CursorKey"], chosen);
    }
}
