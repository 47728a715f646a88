//! Lambda entry point of `POST /recipes/{recipe_id}/approve`: wires tracing, settings and AWS clients once per
//! cold start, then serves every invocation with [`api_recipes::approve_recipe`].

use api_recipes::{Recipes, RecipesSettings, approve_recipe};
use ida_runtime::aws::AwsClients;
use ida_runtime::settings::{LogLevel, Settings};
use ida_runtime::tracing::log_cold_start_failure;
use lambda_http::{Error, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    ida_runtime::tracing::init(LogLevel::from_env()?)?;
    let settings = RecipesSettings::from_env().inspect_err(log_cold_start_failure)?;
    let clients = AwsClients::from_env().await;
    let recipes = Recipes::on_aws(&clients.dynamodb, &clients.s3, &clients.sfn, &settings);
    lambda_http::run(service_fn(|request| approve_recipe(&recipes, request))).await
}
