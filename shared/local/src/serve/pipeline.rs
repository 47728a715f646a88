//! The pipeline's queue functions for a stack: upload-events, the seven stage workers (each in
//! the callback-worker harness) and dead-letters, each bound to the queues its `FunctionSpec`
//! names, drained by [`PipelineHost`] exactly as Lambda's event source mappings would.
//!
//! Tests replace or wrap one function's handler (for example with a
//! [`crate::pipeline_host::FaultyHandler`]) before starting, so faults are injected through
//! this port and never through a flag in the functions themselves.

use crate::pipeline_host::{PipelineHost, QueueBinding};
use crate::provision::ProvisionedStack;
use crate::serve::error::ServeError;
use ida_runtime::aws::AwsClients;
use ida_runtime::function::{FunctionSpec, Trigger};
use ida_runtime::settings::Settings;
use ida_runtime::worker::{CallbackWorker, QueueHandler};
use ida_store::{Store, StoreSettings};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Messages a stage worker takes per batch: one file at a time, as the template's mappings say.
const STAGE_BATCH_SIZE: i32 = 1;

/// Messages per batch for the light functions (upload-events, dead-letters).
const LIGHT_BATCH_SIZE: i32 = 10;

/// One queue function: its declaration and the handler its queue feeds.
#[derive(Clone)]
pub struct QueueFunction {
    /// The function's declaration (its trigger names the queue).
    pub spec: &'static FunctionSpec,
    /// Its handler.
    pub handler: Arc<dyn QueueHandler>,
    /// Messages per batch.
    pub batch_size: i32,
}

impl std::fmt::Debug for QueueFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueFunction")
            .field("spec", self.spec)
            .field("batch_size", &self.batch_size)
            .finish_non_exhaustive()
    }
}

/// Every queue function of the pipeline, ready to bind to a stack's queues.
#[derive(Debug, Clone)]
pub struct PipelineFunctions {
    functions: Vec<QueueFunction>,
}

impl PipelineFunctions {
    /// Every queue function with its state built from the functions' `environment` of `stack`.
    pub fn for_stack(
        stack: &ProvisionedStack,
        environment: &BTreeMap<String, String>,
    ) -> Result<Self, ServeError> {
        let lookup = |var: &str| environment.get(var).cloned();
        let clients = AwsClients {
            s3: stack.clients.s3.clone(),
            dynamodb: stack.clients.dynamodb.clone(),
            sqs: stack.clients.sqs.clone(),
            sfn: stack.clients.sfn.clone(),
        };
        let store = Store::new(
            clients.dynamodb.clone(),
            clients.s3.clone(),
            StoreSettings::from_lookup(lookup).map_err(|error| setup("ida-store", error))?,
        );
        let upload_events = upload_events::UploadEventsSettings::from_lookup(lookup)
            .map_err(|error| setup("upload-events", error))?;
        let sfn = &clients.sfn;
        let stage = |handler: Arc<dyn QueueHandler>, specs: &'static [&'static FunctionSpec]| {
            specs.iter().map(move |spec| QueueFunction {
                spec,
                handler: Arc::clone(&handler),
                batch_size: STAGE_BATCH_SIZE,
            })
        };
        let light = |handler: Arc<dyn QueueHandler>, specs: &'static [&'static FunctionSpec]| {
            specs.iter().map(move |spec| QueueFunction {
                spec,
                handler: Arc::clone(&handler),
                batch_size: LIGHT_BATCH_SIZE,
            })
        };
        let mut functions = Vec::new();
        functions.extend(light(
            upload_events::queue_handler(Arc::new(upload_events::UploadEvents::new(
                &clients,
                upload_events,
            ))),
            &upload_events::FUNCTIONS,
        ));
        functions.extend(light(
            dead_letters::queue_handler(Arc::new(dead_letters::DeadLetters::new(sfn.clone()))),
            &dead_letters::FUNCTIONS,
        ));
        functions.extend(stage(
            Arc::new(CallbackWorker::new(
                sfn.clone(),
                stage_parse::ParseStage::new(store.clone()),
            )),
            &stage_parse::FUNCTIONS,
        ));
        functions.extend(stage(
            Arc::new(CallbackWorker::new(
                sfn.clone(),
                stage_profile::ProfileStage::new(store.clone()),
            )),
            &stage_profile::FUNCTIONS,
        ));
        functions.extend(stage(
            Arc::new(CallbackWorker::new(
                sfn.clone(),
                stage_plan::PlanStage::new(store.clone()),
            )),
            &stage_plan::FUNCTIONS,
        ));
        functions.extend(stage(
            Arc::new(CallbackWorker::new(
                sfn.clone(),
                stage_await_approval::AwaitApprovalStage::new(store.clone()),
            )),
            &stage_await_approval::FUNCTIONS,
        ));
        functions.extend(stage(
            Arc::new(CallbackWorker::new(
                sfn.clone(),
                stage_transform::TransformStage::new(store.clone()),
            )),
            &stage_transform::FUNCTIONS,
        ));
        functions.extend(stage(
            Arc::new(CallbackWorker::new(
                sfn.clone(),
                stage_activate::ActivateStage::new(store.clone()),
            )),
            &stage_activate::FUNCTIONS,
        ));
        functions.extend(stage(
            Arc::new(CallbackWorker::new(
                sfn.clone(),
                stage_record_failure::RecordFailureStage::new(store),
            )),
            &stage_record_failure::FUNCTIONS,
        ));
        Ok(Self { functions })
    }

    /// The functions, in binding order.
    pub fn functions(&self) -> &[QueueFunction] {
        &self.functions
    }

    /// Replaces the handler of the function fed by the queue with logical id `queue` (e.g.
    /// `ParseQueue`) with `wrap(current)`; reports whether such a function exists.
    pub fn wrap(
        &mut self,
        queue: &str,
        wrap: impl FnOnce(Arc<dyn QueueHandler>) -> Arc<dyn QueueHandler>,
    ) -> bool {
        let found = self
            .functions
            .iter_mut()
            .find(|function| queue_of(function.spec) == Some(queue));
        match found {
            Some(function) => {
                function.handler = wrap(Arc::clone(&function.handler));
                true
            }
            None => false,
        }
    }

    /// Each function bound to its queue on `stack`.
    pub fn bindings(&self, stack: &ProvisionedStack) -> Result<Vec<QueueBinding>, ServeError> {
        self.functions
            .iter()
            .filter_map(|function| queue_of(function.spec).map(|queue| (function, queue)))
            .map(|(function, queue)| {
                let handle = stack
                    .queue_by_logical_id(queue)
                    .map_err(|error| setup(function.spec.binary, error))?;
                Ok(QueueBinding::new(
                    handle,
                    Arc::clone(&function.handler),
                    function.batch_size,
                ))
            })
            .collect()
    }

    /// Starts a poller per binding on the current runtime.
    pub fn start(&self, stack: &ProvisionedStack) -> Result<PipelineHost, ServeError> {
        Ok(PipelineHost::start(
            stack.clients.sqs.clone(),
            crate::DEFAULT_REGION,
            self.bindings(stack)?,
        ))
    }
}

fn queue_of(spec: &FunctionSpec) -> Option<&'static str> {
    match spec.trigger {
        Trigger::Queue { queue } => Some(queue),
        _ => None,
    }
}

fn setup(function: &'static str, error: impl std::fmt::Display) -> ServeError {
    ServeError::FunctionSetup {
        function,
        message: error.to_string(),
    }
}
