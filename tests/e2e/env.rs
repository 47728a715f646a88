//! `TestEnv`: a freshly provisioned stack on the emulators plus the few helpers the stories
//! need (receive from a queue with a deadline, a Step Functions role, presigned S3 requests).

use std::time::{Duration, Instant};

use aws_sdk_s3::presigning::{PresignedRequest, PresigningConfig};
use aws_sdk_sqs::types::{Message, MessageSystemAttributeName};
use ida_local::{LocalStack, ParameterOverrides, ProvisionedStack};

/// Template parameters that make redelivery and dead-lettering take seconds, not minutes.
pub fn fast_queue_parameters() -> ParameterOverrides {
    ParameterOverrides::new()
        .set("MaxReceiveCount", 2)
        .set("StageVisibilityTimeoutSeconds", 1)
        .set("UploadEventsVisibilityTimeoutSeconds", 1)
}

/// One test's own stack.
pub struct TestEnv {
    pub stack: ProvisionedStack,
    roles: Vec<String>,
    state_machines: Vec<String>,
}

impl TestEnv {
    /// Provisions the template with the given parameter overrides.
    pub async fn start(overrides: ParameterOverrides) -> anyhow::Result<Self> {
        let local = LocalStack::from_env().await;
        let stack = local.provision_with(&overrides).await?;
        Ok(TestEnv {
            stack,
            roles: Vec::new(),
            state_machines: Vec::new(),
        })
    }

    /// Deletes the state machines and roles the test made, then the stack.
    pub async fn finish(self) -> anyhow::Result<()> {
        let clients = self.stack.clients.clone();
        for arn in &self.state_machines {
            clients
                .sfn
                .delete_state_machine()
                .state_machine_arn(arn)
                .send()
                .await?;
        }
        for role in &self.roles {
            clients.iam.delete_role().role_name(role).send().await?;
        }
        self.stack.teardown().await?;
        Ok(())
    }

    /// Receives one message from a queue, waiting up to `deadline`; with its receive count.
    pub async fn receive(
        &self,
        queue_url: &str,
        deadline: Duration,
    ) -> anyhow::Result<Option<Message>> {
        let until = Instant::now() + deadline;
        while Instant::now() < until {
            let received = self
                .stack
                .clients
                .sqs
                .receive_message()
                .queue_url(queue_url)
                .max_number_of_messages(1)
                .wait_time_seconds(1)
                .message_system_attribute_names(MessageSystemAttributeName::All)
                .send()
                .await?;
            if let Some(message) = received.messages().first() {
                return Ok(Some(message.clone()));
            }
        }
        Ok(None)
    }

    /// Deletes a received message.
    pub async fn delete(&self, queue_url: &str, message: &Message) -> anyhow::Result<()> {
        self.stack
            .clients
            .sqs
            .delete_message()
            .queue_url(queue_url)
            .receipt_handle(message.receipt_handle().unwrap_or_default())
            .send()
            .await?;
        Ok(())
    }

    /// Creates a state machine from inline ASL with a role Step Functions can assume.
    pub async fn create_state_machine(
        &mut self,
        name: &str,
        definition: &serde_json::Value,
    ) -> anyhow::Result<String> {
        let clients = &self.stack.clients;
        let role_name = format!("{}-{name}", self.stack.prefix);
        let trust = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": "states.amazonaws.com"}, "Action": "sts:AssumeRole"}]
        });
        let role = clients
            .iam
            .create_role()
            .role_name(&role_name)
            .assume_role_policy_document(trust.to_string())
            .send()
            .await?;
        self.roles.push(role_name.clone());
        let role_arn = role.role().map(|r| r.arn().to_owned()).unwrap_or_default();
        let created = clients
            .sfn
            .create_state_machine()
            .name(format!("{}-{name}", self.stack.prefix))
            .definition(definition.to_string())
            .role_arn(role_arn)
            .send()
            .await?;
        let arn = created.state_machine_arn().to_owned();
        self.state_machines.push(arn.clone());
        Ok(arn)
    }

    /// Presigns a PUT of `key` into `bucket` that asks for SSE-KMS, valid from `start` for `expires_in`.
    pub async fn presign_put(
        &self,
        bucket: &str,
        key: &str,
        start: std::time::SystemTime,
        expires_in: Duration,
    ) -> anyhow::Result<PresignedRequest> {
        let config = PresigningConfig::builder()
            .start_time(start)
            .expires_in(expires_in)
            .build()?;
        Ok(self
            .stack
            .clients
            .s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type("text/csv")
            .server_side_encryption(aws_sdk_s3::types::ServerSideEncryption::AwsKms)
            .ssekms_key_id(&self.stack.kms_key_arn)
            .presigned(config)
            .await?)
    }
}

/// Sends a presigned request as a browser would: its URL, its signed headers, a body.
pub async fn send_presigned(
    request: &PresignedRequest,
    url: &str,
    body: &'static [u8],
) -> anyhow::Result<(u16, String)> {
    let client = reqwest::Client::new();
    let mut builder = client.put(url).body(body);
    for (name, value) in request.headers() {
        builder = builder.header(name, value);
    }
    let response = builder.send().await?;
    let status = response.status().as_u16();
    Ok((status, response.text().await?))
}
