//! The whole stack served in one call: every function's state on a provisioned stack, the REST
//! API with the authorizer in front, and the pipeline's queue pollers, started together and
//! stopped together. `ida serve`, `ida bench --api` and the end-to-end tests all start here.

use crate::provision::ProvisionedStack;
use crate::serve::catalog::LocalFunctions;
use crate::serve::error::ServeError;
use crate::serve::pipeline::PipelineFunctions;
use crate::serve::server::{RunningServe, Serve};
use std::path::Path;

/// Serves `stack` on 127.0.0.1:`port` (0 picks a free port) with the signing key ring kept in
/// `state_dir`; `adjust` may wrap queue functions (fault injection in tests) before the pollers
/// start. On failure the stack is torn down and the error returned.
pub async fn serve_stack(
    stack: ProvisionedStack,
    state_dir: &Path,
    port: u16,
    adjust: impl FnOnce(&mut PipelineFunctions),
) -> Result<(RunningServe, LocalFunctions), ServeError> {
    let mut functions = match LocalFunctions::for_stack(&stack, state_dir) {
        Ok(functions) => functions,
        Err(error) => return Err(torn_down(stack, error).await),
    };
    adjust(&mut functions.pipeline);
    let pipeline = match functions.pipeline.start(&stack) {
        Ok(pipeline) => pipeline,
        Err(error) => return Err(torn_down(stack, error).await),
    };
    let running = Serve::builder()
        .routes(functions.routes())
        .authorizer(functions.authorizer.clone())
        .pipeline(pipeline)
        .port(port)
        .stack(stack)
        .start()
        .await?;
    Ok((running, functions))
}

async fn torn_down(stack: ProvisionedStack, error: ServeError) -> ServeError {
    let prefix = stack.prefix.clone();
    if let Err(teardown) = stack.teardown().await {
        tracing::warn!(%teardown, %prefix, "stack left on the emulators");
    }
    error
}
