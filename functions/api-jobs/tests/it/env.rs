//! The test environment: a provisioned stack, a state machine whose `Parse` state waits, the
//! job routes' state on both, and tenants to act as.

use anyhow::Context;
use api_jobs::{Jobs, JobsSettings, PipelineExecutions};
use aws_sdk_sfn::types::ExecutionStatus;
use ida_core::access::{AuthorizerContext, Principal, Subject};
use ida_core::id::{CorrelationId, DatasetId, JobId, TenantId, UploadId, UserId};
use ida_core::job::{Job, JobStatus, Stage};
use ida_core::pipeline::ExecutionInput;
use ida_core::{Role, TenantScope};
use ida_local::{LocalStack, ProvisionedStack};
use ida_runtime::http::GatewayRequest;
use ida_runtime::settings::Settings;
use ida_store::{JobRepository, Stored, WriteContext};
use lambda_http::{Body, Request, Response};
use serde_json::{Value, json};
use std::convert::Infallible;
use std::future::Future;
use time::OffsetDateTime;

/// A state machine standing in for the pipeline: `Parse` waits long enough for any test, so an
/// execution is RUNNING until it is stopped, and its history shows the state entered.
const WAITING_PIPELINE: &str = r#"{
  "StartAt": "Parse",
  "States": {
    "Parse": {"Type": "Wait", "Seconds": 600, "Next": "Done"},
    "Done": {"Type": "Succeed"}
  }
}"#;

pub struct TestEnv {
    pub stack: ProvisionedStack,
    pub jobs: Jobs,
    pub sfn: aws_sdk_sfn::Client,
    pub state_machine_arn: String,
    pub settings: JobsSettings,
}

/// A tenant's user acting through a verified principal.
pub struct Acting {
    pub principal: Principal,
    pub scope: TenantScope,
}

impl Acting {
    pub fn new(tenant: &TenantId, role: Role) -> Acting {
        let principal = Principal::from_authorizer_context(AuthorizerContext {
            tenant: tenant.clone(),
            subject: Subject::User {
                user: UserId::generate(),
            },
            role,
            scopes: None,
        })
        .unwrap();
        let scope = principal.scope();
        Acting { principal, scope }
    }

    pub fn ctx(&self) -> WriteContext {
        WriteContext::for_principal(
            &self.principal,
            CorrelationId::generate(),
            OffsetDateTime::now_utc(),
        )
    }
}

/// What a route answered.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
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
    let body = if response.body().is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(response.body().as_ref()).unwrap()
    };
    Answer {
        status: response.status().as_u16(),
        body,
        response,
    }
}

impl TestEnv {
    pub async fn start() -> anyhow::Result<TestEnv> {
        let local = LocalStack::from_env().await;
        let stack = local
            .provision()
            .await
            .context("provisioning the template")?;
        let sfn = stack.clients.sfn.clone();
        let created = sfn
            .create_state_machine()
            .name(format!("{}-waiting-pipeline", stack.prefix))
            .definition(WAITING_PIPELINE)
            .role_arn("arn:aws:iam::000000000000:role/ida-test-pipeline")
            .send()
            .await
            .context("creating the test state machine")?;
        let state_machine_arn = created.state_machine_arn().to_owned();
        let environment = stack.function_environment.clone();
        let settings = JobsSettings::from_lookup(|var| {
            if var == "IDA_STATE_MACHINE_ARN" {
                Some(state_machine_arn.clone())
            } else {
                environment.get(var).cloned()
            }
        })
        .context("the template's environment and the state machine satisfy the job settings")?;
        let jobs = Jobs::on_aws(&stack.clients.dynamodb, &sfn, &settings);
        Ok(TestEnv {
            stack,
            jobs,
            sfn,
            state_machine_arn,
            settings,
        })
    }

    /// Stores a job of `acting`'s tenant.
    pub async fn job(
        &self,
        acting: &Acting,
        dataset: &DatasetId,
        stage: Stage,
        status: JobStatus,
    ) -> Stored<Job> {
        let failure = (status == JobStatus::Failed).then(|| {
            json!({"stage": stage, "code": "invalid_input", "message": "The file is not UTF-8."})
        });
        let job: Job = serde_json::from_value(json!({
            "id": JobId::generate(),
            "tenant": acting.scope.tenant(),
            "upload": UploadId::generate(),
            "dataset": dataset,
            "recipe": null,
            "stage": stage,
            "status": status,
            "failure": failure,
            "created_by": acting.principal.user(),
            "created_at": "2026-11-25T10:00:00Z",
            "updated_at": "2026-11-25T10:00:00Z",
        }))
        .unwrap();
        self.jobs_records()
            .create_job(&acting.scope, job, &acting.ctx())
            .await
            .unwrap()
    }

    pub fn jobs_records(&self) -> ida_store::DynamoStore {
        ida_store::DynamoStore::new(
            self.stack.clients.dynamodb.clone(),
            self.settings.store.records_table.clone(),
            self.settings.store.cursor_key.clone(),
        )
    }

    /// Starts the job's first execution, as upload-events does.
    pub async fn start_first_execution(&self, acting: &Acting, job: &Job) -> String {
        let input = ExecutionInput {
            ticket: acting.scope.pipeline_ticket(job.id.clone()),
            upload: job.upload.clone(),
            dataset: job.dataset.clone(),
            attempt: 1,
            resume_from: Stage::Parse,
        };
        self.sfn
            .start_execution()
            .state_machine_arn(&self.state_machine_arn)
            .name(PipelineExecutions::execution_name(job, 1))
            .input(serde_json::to_string(&input).unwrap())
            .send()
            .await
            .unwrap()
            .execution_arn()
            .to_owned()
    }

    pub async fn execution(&self, arn: &str) -> (ExecutionStatus, Value) {
        let described = self
            .sfn
            .describe_execution()
            .execution_arn(arn)
            .send()
            .await
            .unwrap();
        let input = described
            .input()
            .map(|text| serde_json::from_str(text).unwrap())
            .unwrap_or(Value::Null);
        (described.status().clone(), input)
    }

    pub fn execution_arn(&self, name: &str) -> String {
        self.settings.state_machine.execution_arn(name)
    }

    /// Stops what still runs, deletes the state machine and the stack.
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
        self.stack.teardown().await?;
        Ok(())
    }
}
