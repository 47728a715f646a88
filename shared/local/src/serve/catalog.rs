//! The one place that knows every function crate: [`all_functions`] lists each crate's
//! `FUNCTIONS` (for the consistency tests), [`Services`] builds each API crate's state from a
//! provisioned stack, and [`all_routes`] binds each crate's `routes(state)`. A new API crate is
//! one field in `Services`, one line in `Services::for_stack`, one line in `all_routes` and one
//! in `function_crates`.

use crate::provision::ProvisionedStack;
use crate::serve::authorization::RouteAuthorizer;
use crate::serve::error::ServeError;
use crate::serve::keys::key_ring_in;
use crate::serve::pipeline::PipelineFunctions;
use crate::template::{Scope, Template};
use api_authorizer::{Authorizer, AuthorizerSettings};
use api_docs::ApiDocs;
use api_health::{Health, HealthSettings};
use ida_core::identity::KeyRing;
use ida_runtime::auth::TokenSettings;
use ida_runtime::function::{FunctionSpec, HostedRoute};
use ida_runtime::settings::Settings;
use ida_store::{Store, StoreSettings};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Every function crate with the functions it deploys: the one list the consistency tests
/// walk (a crate under `functions/` missing here fails them).
pub fn function_crates() -> [(&'static str, &'static [&'static FunctionSpec]); 23] {
    [
        ("api-approvals", &api_approvals::FUNCTIONS),
        ("api-audit", &api_audit::FUNCTIONS),
        ("api-auth", &api_auth::FUNCTIONS),
        ("api-authorizer", &api_authorizer::FUNCTIONS),
        ("api-datasets", &api_datasets::FUNCTIONS),
        ("api-docs", &api_docs::FUNCTIONS),
        ("api-health", &api_health::FUNCTIONS),
        ("api-jobs", &api_jobs::FUNCTIONS),
        ("api-keys", &api_keys::FUNCTIONS),
        ("api-projects", &api_projects::FUNCTIONS),
        ("api-recipes", &api_recipes::FUNCTIONS),
        ("api-tenant", &api_tenant::FUNCTIONS),
        ("api-uploads", &api_uploads::FUNCTIONS),
        ("api-users", &api_users::FUNCTIONS),
        ("dead-letters", &dead_letters::FUNCTIONS),
        ("stage-activate", &stage_activate::FUNCTIONS),
        ("stage-await-approval", &stage_await_approval::FUNCTIONS),
        ("stage-parse", &stage_parse::FUNCTIONS),
        ("stage-plan", &stage_plan::FUNCTIONS),
        ("stage-profile", &stage_profile::FUNCTIONS),
        ("stage-record-failure", &stage_record_failure::FUNCTIONS),
        ("stage-transform", &stage_transform::FUNCTIONS),
        ("upload-events", &upload_events::FUNCTIONS),
    ]
}

/// Every deployable function of every function crate.
pub fn all_functions() -> Vec<&'static FunctionSpec> {
    function_crates()
        .into_iter()
        .flat_map(|(_, functions)| functions.iter().copied())
        .collect()
}

/// The state of every API crate, built once for a stack.
#[derive(Clone)]
pub struct Services {
    /// `GET /health`.
    pub health: Arc<Health>,
    /// `GET /openapi.json`.
    pub docs: Arc<ApiDocs>,
    /// Register and login.
    pub accounts: Arc<api_auth::Accounts>,
    /// Refresh and logout.
    pub sessions: Arc<api_auth::Sessions>,
    /// The tenant's users.
    pub users: Arc<api_users::Users>,
    /// API keys.
    pub api_keys: Arc<api_keys::ApiKeys>,
    /// Tenant settings.
    pub tenant: Arc<api_tenant::TenantSettingsState>,
    /// Projects.
    pub projects: Arc<api_projects::Projects>,
    /// Datasets and versions.
    pub datasets: Arc<api_datasets::Datasets>,
    /// Uploads.
    pub uploads: Arc<api_uploads::Uploads>,
    /// Approvals of destructive actions.
    pub approvals: Arc<api_approvals::Approvals>,
    /// Jobs.
    pub jobs: Arc<api_jobs::Jobs>,
    /// Recipes.
    pub recipes: Arc<api_recipes::Recipes>,
    /// The audit trail.
    pub audit: Arc<api_audit::Audit>,
}

impl Services {
    /// Every crate's state from the functions' environment of the stack, with access tokens
    /// signed by `key_ring` (the auth routes issue them, the authorizer verifies them).
    pub fn for_stack(
        stack: &ProvisionedStack,
        environment: &BTreeMap<String, String>,
        key_ring: &KeyRing,
    ) -> Result<Self, ServeError> {
        let lookup = |var: &str| environment.get(var).cloned();
        let clients = &stack.clients;
        let health =
            HealthSettings::from_lookup(lookup).map_err(|error| setup("api-health", error))?;
        let store_settings =
            StoreSettings::from_lookup(lookup).map_err(|error| setup("ida-store", error))?;
        let store = Store::new(clients.dynamodb.clone(), clients.s3.clone(), store_settings);
        let tokens = TokenSettings::from_lookup(lookup)
            .and_then(|settings| settings.access_tokens(key_ring))
            .map_err(|error| setup("api-auth", error))?;
        let jobs = api_jobs::JobsSettings::from_lookup(lookup)
            .map_err(|error| setup("api-jobs", error))?;
        let recipes = api_recipes::RecipesSettings::from_lookup(lookup)
            .map_err(|error| setup("api-recipes", error))?;
        let records = store.records.clone();
        Ok(Self {
            health: Arc::new(Health::on_aws(&clients.dynamodb, &clients.s3, &health)),
            docs: Arc::new(ApiDocs::build().map_err(|error| setup("api-docs", error))?),
            accounts: Arc::new(api_auth::Accounts::new(records.clone())),
            sessions: Arc::new(api_auth::Sessions::new(records.clone(), tokens)),
            users: Arc::new(api_users::Users::new(records.clone())),
            api_keys: Arc::new(api_keys::ApiKeys::new(records.clone())),
            tenant: Arc::new(api_tenant::TenantSettingsState::new(records.clone())),
            projects: Arc::new(api_projects::Projects::new(store.clone())),
            datasets: Arc::new(api_datasets::Datasets::new(store.clone())),
            uploads: Arc::new(api_uploads::Uploads::new(store.clone())),
            approvals: Arc::new(api_approvals::Approvals::new(store.clone())),
            jobs: Arc::new(api_jobs::Jobs::on_aws(
                &clients.dynamodb,
                &clients.sfn,
                &jobs,
            )),
            recipes: Arc::new(api_recipes::Recipes::on_aws(
                &clients.dynamodb,
                &clients.s3,
                &clients.sfn,
                &recipes,
            )),
            audit: Arc::new(api_audit::Audit::new(records)),
        })
    }
}

/// Every API crate's routes bound to its state.
pub fn all_routes(services: &Services) -> Vec<HostedRoute> {
    let mut routes = Vec::new();
    routes.extend(api_health::routes(Arc::clone(&services.health)));
    routes.extend(api_docs::routes(Arc::clone(&services.docs)));
    routes.extend(api_auth::routes(
        Arc::clone(&services.accounts),
        Arc::clone(&services.sessions),
    ));
    routes.extend(api_users::routes(Arc::clone(&services.users)));
    routes.extend(api_keys::routes(Arc::clone(&services.api_keys)));
    routes.extend(api_tenant::routes(Arc::clone(&services.tenant)));
    routes.extend(api_projects::routes(Arc::clone(&services.projects)));
    routes.extend(api_datasets::routes(Arc::clone(&services.datasets)));
    routes.extend(api_uploads::routes(Arc::clone(&services.uploads)));
    routes.extend(api_approvals::routes(Arc::clone(&services.approvals)));
    routes.extend(api_jobs::routes(Arc::clone(&services.jobs)));
    routes.extend(api_recipes::routes(Arc::clone(&services.recipes)));
    routes.extend(api_audit::routes(Arc::clone(&services.audit)));
    routes
}

/// Everything `ida serve` hosts for one stack: the environment the functions read, every
/// route's state, the authorizer, and the signing key ring under the state folder.
pub struct LocalFunctions {
    /// The template's function environment for this stack, plus the local token settings.
    pub environment: BTreeMap<String, String>,
    /// Every API crate's state.
    pub services: Services,
    /// The pipeline's queue functions (upload-events, the stages, dead-letters).
    pub pipeline: PipelineFunctions,
    /// The authorizer, verifying tokens signed with [`Self::key_ring`] and the stack's API keys.
    pub authorizer: Arc<dyn RouteAuthorizer>,
    /// The signing key ring (the auth routes sign with it; tests issue tokens with it).
    pub key_ring: KeyRing,
    /// Where the key ring is kept.
    pub key_ring_file: PathBuf,
}

impl LocalFunctions {
    /// Builds every function's state for `stack`, with the key ring kept in `state_dir`.
    pub fn for_stack(stack: &ProvisionedStack, state_dir: &Path) -> Result<Self, ServeError> {
        let (key_ring_file, key_ring) = key_ring_in(state_dir)?;
        let environment = local_environment(stack, &key_ring_file)?;
        let lookup = |var: &str| environment.get(var).cloned();
        let settings = AuthorizerSettings::from_lookup(lookup)
            .map_err(|error| setup("api-authorizer", error))?;
        let tokens = settings
            .tokens
            .access_tokens(&key_ring)
            .map_err(|error| setup("api-authorizer", error))?;
        let authorizer = Authorizer::on_aws(
            tokens,
            stack.clients.dynamodb.clone(),
            &settings.records_table,
        )
        .map_err(|error| setup("api-authorizer", error))?;
        Ok(Self {
            services: Services::for_stack(stack, &environment, &key_ring)?,
            pipeline: PipelineFunctions::for_stack(stack, &environment)?,
            environment,
            authorizer: Arc::new(authorizer),
            key_ring,
            key_ring_file,
        })
    }

    /// Every API crate's routes.
    pub fn routes(&self) -> Vec<HostedRoute> {
        all_routes(&self.services)
    }
}

/// The template resource of the authorizer, whose own `Environment` holds the token settings.
const AUTHORIZER_RESOURCE: &str = "AuthorizerFunction";

/// The template's function environment of `stack`, with the token settings the deployed
/// authorizer gets from its own `Environment` (issuer and audience, resolved for this stack),
/// and the key ring from the local file instead of Secrets Manager.
pub fn local_environment(
    stack: &ProvisionedStack,
    key_ring_file: &Path,
) -> Result<BTreeMap<String, String>, ServeError> {
    let template = Template::bundled().map_err(|error| setup("api-authorizer", error))?;
    let variables = template
        .resources
        .get(AUTHORIZER_RESOURCE)
        .and_then(|resource| resource.properties.get("Environment"))
        .and_then(|environment| environment.get("Variables"))
        .and_then(serde_yaml::Value::as_mapping)
        .ok_or_else(|| ServeError::FunctionSetup {
            function: "api-authorizer",
            message: format!("the template's {AUTHORIZER_RESOURCE} has no Environment.Variables"),
        })?;
    let mut scope = Scope {
        parameters: stack.parameters.clone(),
        ..Scope::default()
    };
    scope.parameters.extend([
        ("AWS::Region".to_owned(), crate::DEFAULT_REGION.to_owned()),
        (
            "AWS::AccountId".to_owned(),
            crate::LOCAL_ACCOUNT_ID.to_owned(),
        ),
        ("AWS::Partition".to_owned(), "aws".to_owned()),
        ("AWS::URLSuffix".to_owned(), "amazonaws.com".to_owned()),
        ("AWS::StackName".to_owned(), stack.prefix.clone()),
    ]);
    let mut environment = stack.function_environment.clone();
    for (name, value) in variables {
        let name = name.as_str().unwrap_or_default().to_owned();
        let value = scope
            .resolve_string(value)
            .map_err(|error| setup("api-authorizer", error))?;
        environment.insert(name, value);
    }
    environment.remove("IDA_SIGNING_KEYS_SECRET_ID");
    // Functions that start, stop or answer executions read the stack's state machine.
    let state_machine = stack
        .state_machine_arn()
        .map_err(|error| setup("pipeline", error))?;
    environment.insert("IDA_STATE_MACHINE_ARN".to_owned(), state_machine.to_owned());
    environment.insert(
        "IDA_SIGNING_KEYS_FILE".to_owned(),
        key_ring_file.display().to_string(),
    );
    Ok(environment)
}

fn setup(function: &'static str, error: impl std::fmt::Display) -> ServeError {
    ServeError::FunctionSetup {
        function,
        message: error.to_string(),
    }
}
