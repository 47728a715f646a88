//! `Served`: a freshly provisioned stack with the whole local host of `ida serve` in front of
//! it (every route on an ephemeral port of 127.0.0.1, the authorizer, and a poller per queue
//! function driving the real state machine), as one test's private world. A test may wrap one
//! queue's function in the host's fault-injecting port; production code has no switch for it.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use anyhow::Context;
use aws_lambda_events::sqs::SqsEvent;
use ida_local::pipeline_host::{Fault, FaultyHandler};
use ida_local::serve::{RunningServe, serve_stack};
use ida_local::{LocalStack, ParameterOverrides, PipelineQueue, ProvisionedStack};
use ida_runtime::worker::{QueueFuture, QueueHandler};
use tokio::sync::watch;

use crate::api::Api;

/// How a test wants one queue's function to misbehave.
#[derive(Debug, Clone, Copy)]
pub enum Misbehaviour {
    /// Reports `Ida.Transient` for its first `times` batches.
    Transient {
        /// How many batches fail.
        times: u32,
    },
    /// Crashes on its first `times` batches (`u32::MAX`: always), then works. A crashed batch
    /// stays on the queue, comes back after the visibility timeout, and reaches the dead-letter
    /// queue after `maxReceiveCount` receives.
    Crash {
        /// How many batches crash.
        times: u32,
    },
    /// Holds every batch until the test opens the [`Gate`], then hands it on unchanged.
    HoldUntilOpened,
}

/// A queue function's batches held back until the test lets them through, so a test can act
/// while a stage has its message but has not started.
pub struct Gate {
    inner: Arc<dyn QueueHandler>,
    opened: watch::Sender<bool>,
    held: AtomicU32,
}

impl Gate {
    fn new(inner: Arc<dyn QueueHandler>) -> Gate {
        Gate {
            inner,
            opened: watch::channel(false).0,
            held: AtomicU32::new(0),
        }
    }

    /// Lets every held and later batch through.
    pub fn open(&self) {
        self.opened.send_replace(true);
    }

    /// How many batches arrived at the gate so far.
    pub fn held(&self) -> u32 {
        self.held.load(Ordering::SeqCst)
    }

    /// Waits until a batch arrives at the gate.
    pub async fn wait_for_a_batch(&self, deadline: Duration) -> anyhow::Result<()> {
        let until = std::time::Instant::now() + deadline;
        while self.held() == 0 {
            anyhow::ensure!(
                std::time::Instant::now() < until,
                "no batch reached the gate in {deadline:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Ok(())
    }
}

impl QueueHandler for Gate {
    fn handle(&self, event: SqsEvent) -> QueueFuture<'_> {
        Box::pin(async move {
            self.held.fetch_add(1, Ordering::SeqCst);
            let mut opened = self.opened.subscribe();
            // An error means the sender is gone with the host: nothing will open it any more.
            let _ = opened.wait_for(|open| *open).await;
            self.inner.handle(event).await
        })
    }
}

/// What a test asks of its host.
#[derive(Default)]
pub struct HostOptions {
    overrides: ParameterOverrides,
    fault: Option<(PipelineQueue, Misbehaviour)>,
}

impl HostOptions {
    /// Template parameters that make redelivery and dead-lettering take seconds.
    pub fn fast_redrive(mut self) -> Self {
        self.overrides = crate::env::fast_queue_parameters();
        self
    }

    /// Wraps the function of `queue` so it misbehaves as told.
    pub fn fault(mut self, queue: PipelineQueue, misbehaviour: Misbehaviour) -> Self {
        self.fault = Some((queue, misbehaviour));
        self
    }
}

/// One test's stack and host.
pub struct Served {
    /// `http://127.0.0.1:PORT` of the host.
    pub base_url: String,
    host: RunningServe,
    state_dir: PathBuf,
    faults: Option<Arc<FaultyHandler>>,
    gate: Option<Arc<Gate>>,
}

impl Served {
    /// Provisions a stack and starts the host with every route and every queue poller, as
    /// `ida serve` does, with the test's misbehaving function wrapped in first.
    pub async fn start(options: HostOptions) -> anyhow::Result<Served> {
        let local = LocalStack::from_env().await;
        let stack = local.provision_with(&options.overrides).await?;
        let state_dir = std::env::temp_dir().join(format!("ida-e2e-{}", stack.prefix));
        std::fs::create_dir_all(&state_dir)?;
        let sfn = stack.clients.sfn.clone();
        let mut faults = None;
        let mut gate = None;
        let mut wrapped = true;
        let (host, _functions) = serve_stack(stack, &state_dir, 0, |pipeline| {
            let Some((queue, misbehaviour)) = options.fault else {
                return;
            };
            wrapped = pipeline.wrap(&queue.logical_id(), |inner| match misbehaviour {
                Misbehaviour::Transient { times } => {
                    let faulty =
                        Arc::new(FaultyHandler::new(inner, Fault::Transient { sfn }, times));
                    faults = Some(Arc::clone(&faulty));
                    faulty
                }
                Misbehaviour::Crash { times } => {
                    let faulty = Arc::new(FaultyHandler::new(inner, Fault::Crash, times));
                    faults = Some(Arc::clone(&faulty));
                    faulty
                }
                Misbehaviour::HoldUntilOpened => {
                    let held = Arc::new(Gate::new(inner));
                    gate = Some(Arc::clone(&held));
                    held
                }
            });
        })
        .await
        .context("starting the local host on the stack")?;
        let served = Served {
            base_url: host.base_url(),
            host,
            state_dir,
            faults,
            gate,
        };
        if !wrapped {
            served.finish().await?;
            anyhow::bail!("no queue function to wrap for {:?}", options.fault);
        }
        Ok(served)
    }

    /// The provisioned stack (its clients reach the emulators directly).
    pub fn stack(&self) -> &ProvisionedStack {
        self.host
            .stack()
            .expect("the host keeps the stack it was started on")
    }

    /// A new tenant with its owner signed in.
    pub async fn tenant(&self, name: &str) -> anyhow::Result<Api> {
        Api::register_tenant(&self.base_url, name).await
    }

    /// How many batches met the injected fault so far.
    pub fn faults_injected(&self) -> u32 {
        self.faults.as_ref().map_or(0, |faulty| faulty.injected())
    }

    /// The gate of a host started with [`Misbehaviour::HoldUntilOpened`].
    pub fn gate(&self) -> anyhow::Result<&Gate> {
        self.gate
            .as_deref()
            .context("this host was started without a gate")
    }

    /// The pipeline execution of an upload, by the name the pipeline gives it.
    pub async fn execution_of(
        &self,
        upload_id: &str,
    ) -> anyhow::Result<Option<aws_sdk_sfn::types::ExecutionListItem>> {
        let listed = self
            .stack()
            .clients
            .sfn
            .list_executions()
            .state_machine_arn(self.stack().state_machine_arn()?)
            .send()
            .await?;
        let upload = ida_core::id::UploadId::parse(upload_id)?;
        let name = ida_core::pipeline::upload_execution_name(&upload);
        Ok(listed
            .executions()
            .iter()
            .find(|execution| execution.name() == name)
            .cloned())
    }

    /// Waits until the upload's execution has the given status.
    pub async fn wait_for_execution(
        &self,
        upload_id: &str,
        status: aws_sdk_sfn::types::ExecutionStatus,
        deadline: Duration,
    ) -> anyhow::Result<()> {
        let until = std::time::Instant::now() + deadline;
        let mut last = None;
        while std::time::Instant::now() < until {
            if let Some(execution) = self.execution_of(upload_id).await? {
                if execution.status() == &status {
                    return Ok(());
                }
                last = Some(execution.status().clone());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        anyhow::bail!("the execution of {upload_id} is {last:?}, not {status:?}")
    }

    /// Waits until the upload's execution has ended, and returns how.
    pub async fn wait_for_execution_end(
        &self,
        upload_id: &str,
        deadline: Duration,
    ) -> anyhow::Result<aws_sdk_sfn::types::ExecutionStatus> {
        let until = std::time::Instant::now() + deadline;
        while std::time::Instant::now() < until {
            if let Some(execution) = self.execution_of(upload_id).await?
                && execution.status() != &aws_sdk_sfn::types::ExecutionStatus::Running
            {
                return Ok(execution.status().clone());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        anyhow::bail!("the execution of {upload_id} still runs after {deadline:?}")
    }

    /// Stops the host and its pollers, then deletes the stack.
    pub async fn finish(self) -> anyhow::Result<()> {
        if let Some(stack) = self.host.shutdown().await {
            stack.teardown().await?;
        }
        std::fs::remove_dir_all(&self.state_dir).ok();
        Ok(())
    }
}
