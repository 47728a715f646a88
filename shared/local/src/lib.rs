//! IDA's local stack: endpoints of the local AWS emulators, SDK clients for them, and
//! provisioning of the resources that `infra/template.yaml` declares, under a unique name prefix
//! per call so tests run side by side.
//!
//! The template is the source of truth: this crate never invents a resource shape, and a
//! resource the template declares but the local stack cannot place (or the reverse) is an error.
//! Only tests and `ida serve` use this crate; no function depends on it, and it never talks to
//! anything but the emulators (its credentials are the emulators' static test pair).
//!
//! ```no_run
//! # async fn example() -> Result<(), ida_local::LocalError> {
//! let local = ida_local::LocalStack::from_env().await;
//! let stack = local
//!     .provision_with(&ida_local::ParameterOverrides::new().set("MaxReceiveCount", 2))
//!     .await?;
//! let parse = stack.queue(ida_local::PipelineQueue::Parse)?;
//! println!("{} -> {}", parse.queue.url, parse.dead_letter.arn);
//! stack.teardown().await?;
//! # Ok(())
//! # }
//! ```

mod endpoints;
mod error;
pub mod pipeline_host;
mod provision;
pub mod serve;
pub mod template;

pub use endpoints::{
    AwsClients, DEFAULT_AWS_ENDPOINT, DEFAULT_DYNAMODB_ENDPOINT, DEFAULT_REGION, Endpoints,
    LOCAL_ACCOUNT_ID, TEST_CREDENTIAL,
};
pub use error::{LocalError, Result};
pub use provision::{
    LocalStack, ParameterOverrides, PipelineQueue, ProvisionedQueue, ProvisionedStack, QueueHandle,
};
