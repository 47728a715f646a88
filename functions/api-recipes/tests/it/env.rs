//! The test environment: a provisioned stack, a state machine whose `AwaitApproval` state
//! waits for a task token sent to a queue, the recipe routes' state, and a tenant whose
//! recipes wait for a decision.

use anyhow::Context;
use api_recipes::{Recipes, RecipesSettings};
use aws_sdk_sfn::types::ExecutionStatus;
use ida_core::access::{AuthorizerContext, Principal, Subject};
use ida_core::id::{CorrelationId, DatasetId, JobId, RecipeId, UserId, VersionNo};
use ida_core::recipe::{Recipe, RecipeStatus};
use ida_core::tenancy::{DisplayName, Plan, RecipeRisk, Tenant};
use ida_core::{Role, TenantScope};
use ida_data::recipe::Recipe as EngineRecipe;
use ida_data::{ColumnSchema, DatasetSchema, LogicalType};
use ida_local::{LocalStack, ProvisionedStack};
use ida_runtime::http::GatewayRequest;
use ida_runtime::settings::Settings;
use ida_store::{
    ArtifactKey, ArtifactStore, RecipeRepository, Store, Stored, TenantRepository, VersionFile,
    WriteContext,
};
use lambda_http::{Body, Request, Response};
use serde_json::{Value, json};
use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;
use time::OffsetDateTime;

pub struct TestEnv {
    pub stack: ProvisionedStack,
    pub store: Store,
    pub recipes: Recipes,
    pub sfn: aws_sdk_sfn::Client,
    pub state_machine_arn: String,
    pub queue_url: String,
}

/// A tenant with users of every role that matters here.
pub struct Team {
    pub scope: TenantScope,
    pub owner: Principal,
    pub admin: Principal,
    pub member: Principal,
    pub viewer: Principal,
}

fn principal(tenant: &Tenant, role: Role) -> Principal {
    Principal::from_authorizer_context(AuthorizerContext {
        tenant: tenant.id.clone(),
        subject: Subject::User {
            user: UserId::generate(),
        },
        role,
        scopes: None,
    })
    .unwrap()
}

pub fn ctx(principal: &Principal) -> WriteContext {
    WriteContext::for_principal(
        principal,
        CorrelationId::generate(),
        OffsetDateTime::now_utc(),
    )
}

/// What a route answered.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub text: String,
    pub response: Response<Body>,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
    }
}

pub async fn call<F, Fut>(handler: F, request: GatewayRequest) -> Answer
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, Infallible>>,
{
    let response = handler(request.into_request().unwrap()).await.unwrap();
    let text = String::from_utf8(response.body().to_vec()).unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    Answer {
        status: response.status().as_u16(),
        body,
        text,
        response,
    }
}

/// The sales dataset's columns, as the parse stage writes them to `schema.json`.
pub fn sales_schema() -> DatasetSchema {
    let column = |position: usize, name: &str, logical_type| ColumnSchema {
        name: name.to_owned(),
        position,
        logical_type,
        semantic_type: None,
        source_format: None,
        nullable: true,
        null_count: 1,
        invalid_count: 0,
        invalid_examples: Vec::new(),
        notes: Vec::new(),
    };
    DatasetSchema {
        schema_version: 1,
        row_count: 4,
        columns: vec![
            column(0, "city", LogicalType::String),
            column(1, "amount", LogicalType::Float),
            column(2, "notes", LogicalType::String),
        ],
    }
}

/// A planned recipe for the sales dataset.
pub fn planned_document() -> Value {
    json!({
        "recipe_version": 1,
        "description": "Tidy the sales file.",
        "steps": [
            {"op": "trim_whitespace", "columns": ["city"], "rationale": "Names carry padding.",
             "impact": {"rows_before": 4, "rows_after": 4, "rows_removed": 0,
                        "cells_affected": 2, "nulls_before": {"city": 1},
                        "nulls_after": {"city": 1}}},
            {"op": "drop_columns", "columns": ["notes"], "rationale": "Free text, 75% empty.",
             "needs_review": true}
        ]
    })
}

pub fn hash_of(document: &Value) -> String {
    EngineRecipe::from_json(&document.to_string())
        .unwrap()
        .hash()
        .unwrap()
}

impl TestEnv {
    pub async fn start() -> anyhow::Result<TestEnv> {
        let local = LocalStack::from_env().await;
        let stack = local
            .provision()
            .await
            .context("provisioning the template")?;
        let settings =
            RecipesSettings::from_lookup(|var| stack.function_environment.get(var).cloned())
                .context("the template's environment satisfies the recipe settings")?;
        let store = Store::new(
            stack.clients.dynamodb.clone(),
            stack.clients.s3.clone(),
            settings.store.clone(),
        );
        let sfn = stack.clients.sfn.clone();
        let queue_url = stack
            .clients
            .sqs
            .create_queue()
            .queue_name(format!("{}-await-approval-test", stack.prefix))
            .send()
            .await?
            .queue_url()
            .context("queue url")?
            .to_owned();
        let definition = json!({
            "StartAt": "AwaitApproval",
            "States": {
                "AwaitApproval": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "Parameters": {
                        "QueueUrl": queue_url,
                        "MessageBody": {"taskToken.$": "$$.Task.Token", "input.$": "$"}
                    },
                    "ResultPath": "$.approval",
                    "End": true
                }
            }
        });
        let state_machine_arn = sfn
            .create_state_machine()
            .name(format!("{}-waiting-pipeline", stack.prefix))
            .definition(definition.to_string())
            .role_arn("arn:aws:iam::000000000000:role/ida-test-pipeline")
            .send()
            .await?
            .state_machine_arn()
            .to_owned();
        let recipes = Recipes::on_aws(&stack.clients.dynamodb, &stack.clients.s3, &sfn, &settings);
        Ok(TestEnv {
            stack,
            store,
            recipes,
            sfn,
            state_machine_arn,
            queue_url,
        })
    }

    /// A stored tenant (default policy: four eyes) and its users.
    pub async fn team(&self) -> Team {
        let tenant = Tenant::new(
            DisplayName::parse("Acme").unwrap(),
            Plan::Team,
            OffsetDateTime::now_utc(),
        );
        let owner = principal(&tenant, Role::Owner);
        let scope = owner.scope();
        self.store
            .records
            .create_tenant(&scope, tenant.clone(), &ctx(&owner))
            .await
            .unwrap();
        Team {
            scope,
            admin: principal(&tenant, Role::Admin),
            member: principal(&tenant, Role::Member),
            viewer: principal(&tenant, Role::Viewer),
            owner,
        }
    }

    /// A recipe requested by `requester`, with its version's schema stored and, when
    /// `waiting`, an execution waiting for its decision whose token is on the record.
    pub async fn recipe(
        &self,
        team: &Team,
        requester: &Principal,
        waiting: bool,
    ) -> (Stored<Recipe>, Option<String>) {
        let dataset = DatasetId::generate();
        let schema =
            ArtifactKey::version_file(&team.scope, &dataset, VersionNo::FIRST, VersionFile::Schema);
        self.store
            .artifacts
            .put_artifact(
                &team.scope,
                &schema,
                serde_json::to_vec(&sales_schema()).unwrap(),
                "application/json",
            )
            .await
            .unwrap();
        let (execution, token) = if waiting {
            let (arn, token) = self.waiting_execution().await;
            (Some(arn), Some(token))
        } else {
            (None, None)
        };
        let document = planned_document();
        let recipe = Recipe {
            id: RecipeId::generate(),
            tenant: team.scope.tenant().clone(),
            dataset,
            base_version: VersionNo::FIRST,
            job: JobId::generate(),
            document_sha256: hash_of(&document),
            document,
            risk: RecipeRisk {
                needs_review: true,
                drops_rows: false,
                drops_columns: true,
            },
            status: if waiting {
                RecipeStatus::PendingApproval
            } else {
                RecipeStatus::Draft
            },
            requested_by: requester.user().clone(),
            decision: None,
            task_token: token,
            created_at: OffsetDateTime::now_utc(),
        };
        let stored = self
            .store
            .records
            .create_recipe(&team.scope, recipe, &ctx(requester))
            .await
            .unwrap();
        (stored, execution)
    }

    /// Starts an execution and takes its task token from the queue, as AwaitApproval does.
    async fn waiting_execution(&self) -> (String, String) {
        let arn = self
            .sfn
            .start_execution()
            .state_machine_arn(&self.state_machine_arn)
            .input(json!({"upload": "upl_test"}).to_string())
            .send()
            .await
            .unwrap()
            .execution_arn()
            .to_owned();
        for _ in 0..20 {
            let received = self
                .stack
                .clients
                .sqs
                .receive_message()
                .queue_url(&self.queue_url)
                .wait_time_seconds(1)
                .send()
                .await
                .unwrap();
            if let Some(message) = received.messages().first() {
                let body: Value = serde_json::from_str(message.body().unwrap()).unwrap();
                return (arn, body["taskToken"].as_str().unwrap().to_owned());
            }
        }
        panic!("no task token arrived on the queue");
    }

    /// Waits for the execution to end and returns its status, output, error and cause.
    pub async fn ended(
        &self,
        arn: &str,
    ) -> (ExecutionStatus, Value, Option<String>, Option<String>) {
        for _ in 0..100 {
            let described = self
                .sfn
                .describe_execution()
                .execution_arn(arn)
                .send()
                .await
                .unwrap();
            if *described.status() != ExecutionStatus::Running {
                let output = described
                    .output()
                    .map(|text| serde_json::from_str(text).unwrap())
                    .unwrap_or(Value::Null);
                return (
                    described.status().clone(),
                    output,
                    described.error().map(str::to_owned),
                    described.cause().map(str::to_owned),
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the execution did not end");
    }

    pub async fn teardown(self) -> anyhow::Result<()> {
        let running = self
            .sfn
            .list_executions()
            .state_machine_arn(&self.state_machine_arn)
            .status_filter(ExecutionStatus::Running)
            .send()
            .await?;
        for execution in running.executions() {
            self.sfn
                .stop_execution()
                .execution_arn(execution.execution_arn())
                .send()
                .await?;
        }
        self.sfn
            .delete_state_machine()
            .state_machine_arn(&self.state_machine_arn)
            .send()
            .await?;
        self.stack
            .clients
            .sqs
            .delete_queue()
            .queue_url(&self.queue_url)
            .send()
            .await?;
        self.stack.teardown().await?;
        Ok(())
    }
}
