//! The authorizer against a provisioned records table, with real tokens and real API keys.

use anyhow::Context;
use api_authorizer::{Authorizer, AuthorizerSettings, access_tokens, allows};
use ida_core::access::{AuthorizerContext, Principal, Subject};
use ida_core::id::{CorrelationId, UserId};
use ida_core::identity::{AccessTokenConfig, AccessTokens, KeyRing};
use ida_core::tenancy::{DisplayName, Plan, Tenant};
use ida_core::user::{Email, User, UserStatus};
use ida_core::{Permission, Role};
use ida_local::{LocalStack, ProvisionedStack};
use ida_runtime::settings::Settings;
use ida_store::identity::NewApiKey;
use ida_store::{
    ApiKeyRepository, CursorKey, DynamoStore, TenantRepository, UserRepository, WriteContext,
};
use lambda_http::aws_lambda_events::apigw::ApiGatewayCustomAuthorizerRequestTypeRequest;
use lambda_http::http::{HeaderMap, HeaderValue};
use std::collections::BTreeSet;
use time::OffsetDateTime;

const METHOD_ARN: &str = "arn:aws:execute-api:us-east-1:000000000000:local/v1/GET/projects";

/// A provisioned stack with one tenant whose owner is a stored user.
struct TestEnv {
    stack: ProvisionedStack,
    records: DynamoStore,
    owner: Principal,
    secrets: aws_sdk_secretsmanager::Client,
    folder: std::path::PathBuf,
}

impl TestEnv {
    async fn start() -> anyhow::Result<TestEnv> {
        let local = LocalStack::from_env().await;
        let stack = local
            .provision()
            .await
            .context("provisioning infra/template.yaml (is `scripts/emulators up` running?)")?;
        let records = DynamoStore::new(
            stack.clients.dynamodb.clone(),
            stack.records_table.clone(),
            CursorKey::generate()?,
        );
        let now = OffsetDateTime::now_utc();
        let tenant = Tenant::new(DisplayName::parse("Acme")?, Plan::Team, now);
        let owner_id = UserId::generate();
        let owner = Principal::from_authorizer_context(AuthorizerContext {
            tenant: tenant.id.clone(),
            subject: Subject::User {
                user: owner_id.clone(),
            },
            role: Role::Owner,
            scopes: None,
        })?;
        let ctx = WriteContext::for_principal(&owner, CorrelationId::generate(), now);
        let scope = owner.scope();
        records.create_tenant(&scope, tenant.clone(), &ctx).await?;
        let user = User {
            id: owner_id,
            tenant: tenant.id.clone(),
            email: Email::parse(&format!("owner@{}.example", stack.prefix))?,
            display_name: DisplayName::parse("Owner")?,
            role: Role::Owner,
            status: UserStatus::Active,
            created_at: now,
        };
        records.create_user(&scope, user, None, &ctx).await?;
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new(local.endpoints.region.clone()))
            .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
                "test", "test", None, None, "it",
            ))
            .endpoint_url(&local.endpoints.aws)
            .load()
            .await;
        let folder = std::env::temp_dir().join(format!("{}-authorizer", stack.prefix));
        std::fs::create_dir_all(&folder)?;
        Ok(TestEnv {
            records,
            owner,
            secrets: aws_sdk_secretsmanager::Client::new(&config),
            folder,
            stack,
        })
    }

    /// The authorizer settings as the template gives them, with the key ring in `location`.
    fn settings(&self, location: (&str, String)) -> anyhow::Result<AuthorizerSettings> {
        let environment = &self.stack.function_environment;
        Ok(AuthorizerSettings::from_lookup(|var| match var {
            "IDA_TOKEN_ISSUER" => Some("ida".to_owned()),
            "IDA_TOKEN_AUDIENCE" => Some("ida-api".to_owned()),
            _ if var == location.0 => Some(location.1.clone()),
            _ => environment.get(var).cloned(),
        })?)
    }

    async fn api_key(&self, role: Role, scopes: &[Permission]) -> anyhow::Result<String> {
        let ctx = WriteContext::for_principal(
            &self.owner,
            CorrelationId::generate(),
            OffsetDateTime::now_utc(),
        );
        let key = NewApiKey {
            name: DisplayName::parse("ci")?,
            role,
            scopes: scopes.iter().copied().collect::<BTreeSet<_>>(),
            expires_at: None,
        };
        let (_, secret) = self
            .records
            .create_api_key(&self.owner.scope(), &self.owner, key, &ctx)
            .await?;
        Ok(secret.expose().to_owned())
    }

    async fn teardown(self) -> anyhow::Result<()> {
        std::fs::remove_dir_all(&self.folder).ok();
        Ok(self.stack.teardown().await?)
    }
}

fn event(
    name: &'static str,
    value: &str,
) -> anyhow::Result<ApiGatewayCustomAuthorizerRequestTypeRequest> {
    let mut headers = HeaderMap::new();
    headers.insert(name, HeaderValue::from_str(value)?);
    let mut event = ApiGatewayCustomAuthorizerRequestTypeRequest::default();
    event.method_arn = Some(METHOD_ARN.to_owned());
    event.headers = headers.clone();
    event.multi_value_headers = headers;
    Ok(event)
}

fn signer(ring: &KeyRing) -> anyhow::Result<AccessTokens> {
    Ok(AccessTokens::new(
        AccessTokenConfig::new("ida", "ida-api"),
        ring,
    )?)
}

#[tokio::test]
async fn a_token_signed_with_the_key_file_ring_is_allowed() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let now = OffsetDateTime::now_utc();
    let ring = KeyRing::generate(now)?;
    let file = env.folder.join("signing-keys.json");
    std::fs::write(&file, serde_json::to_string(&ring)?)?;
    let settings = env.settings(("IDA_SIGNING_KEYS_FILE", file.display().to_string()))?;
    let tokens = access_tokens(&settings.tokens, &env.secrets).await?;
    let authorizer = Authorizer::on_aws(
        tokens,
        env.stack.clients.dynamodb.clone(),
        &settings.records_table,
    )?;

    let token = signer(&ring)?
        .issue(env.owner.tenant(), env.owner.user(), Role::Owner, now)?
        .token;
    let response = authorizer
        .authorize(&event("authorization", &format!("Bearer {token}"))?, now)
        .await?;
    assert!(allows(&response));
    assert_eq!(response.context["tenant_id"], env.owner.tenant().as_str());
    assert_eq!(response.context["user_id"], env.owner.user().as_str());
    assert_eq!(response.context["subject_type"], "user");
    assert_eq!(response.context["role"], "OWNER");
    let json = serde_json::to_value(&response)?;
    assert_eq!(
        json["policyDocument"]["Statement"][0]["Resource"][0],
        "arn:aws:execute-api:us-east-1:000000000000:local/v1/*/*"
    );

    let foreign = signer(&KeyRing::generate(now)?)?
        .issue(env.owner.tenant(), env.owner.user(), Role::Owner, now)?
        .token;
    let refused = authorizer
        .authorize(&event("authorization", &format!("Bearer {foreign}"))?, now)
        .await
        .unwrap_err();
    assert_eq!(refused.to_string(), "Unauthorized");
    let expired = authorizer
        .authorize(
            &event("authorization", &format!("Bearer {token}"))?,
            now + time::Duration::hours(2),
        )
        .await
        .unwrap_err();
    assert_eq!(expired.code(), "unauthorized");
    env.teardown().await
}

#[tokio::test]
async fn the_key_ring_loads_from_a_secrets_manager_secret() -> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let now = OffsetDateTime::now_utc();
    let ring = KeyRing::generate(now)?;
    let secret_name = format!("{}/signing-keys", env.stack.prefix);
    env.secrets
        .create_secret()
        .name(&secret_name)
        .secret_string(serde_json::to_string(&ring)?)
        .send()
        .await?;
    let settings = env.settings(("IDA_SIGNING_KEYS_SECRET_ID", secret_name.clone()))?;
    let loaded = access_tokens(&settings.tokens, &env.secrets).await;
    env.secrets
        .delete_secret()
        .secret_id(&secret_name)
        .force_delete_without_recovery(true)
        .send()
        .await?;
    let authorizer = Authorizer::on_aws(
        loaded?,
        env.stack.clients.dynamodb.clone(),
        &settings.records_table,
    )?;
    let token = signer(&ring)?
        .issue(env.owner.tenant(), env.owner.user(), Role::Member, now)?
        .token;
    let response = authorizer
        .authorize(&event("authorization", &format!("Bearer {token}"))?, now)
        .await?;
    assert_eq!(response.context["role"], "MEMBER");

    let absent = env.settings((
        "IDA_SIGNING_KEYS_SECRET_ID",
        format!("{secret_name}-absent"),
    ))?;
    let error = access_tokens(&absent.tokens, &env.secrets)
        .await
        .unwrap_err();
    assert_eq!(error.code(), "key_set_unavailable");
    env.teardown().await
}

#[tokio::test]
async fn a_stored_api_key_is_allowed_with_its_scopes_and_a_wrong_secret_is_not()
-> anyhow::Result<()> {
    let env = TestEnv::start().await?;
    let now = OffsetDateTime::now_utc();
    let authorizer = Authorizer::on_aws(
        signer(&KeyRing::generate(now)?)?,
        env.stack.clients.dynamodb.clone(),
        &ida_runtime::settings::required(&|var: &str| {
            env.stack.function_environment.get(var).cloned()
        })?,
    )?;
    let key = env
        .api_key(Role::Member, &[Permission::DatasetRead])
        .await?;

    let response = authorizer
        .authorize(&event("x-api-key", &key)?, now)
        .await?;
    assert!(allows(&response));
    assert_eq!(response.context["subject_type"], "api_key");
    assert_eq!(response.context["role"], "MEMBER");
    assert_eq!(response.context["scopes"], "dataset:read");
    assert_eq!(response.context["user_id"], env.owner.user().as_str());
    assert!(key.contains(response.context["api_key_id"].as_str().unwrap_or("none")));

    let mut wrong = key.clone();
    let last = wrong.pop();
    wrong.push(if last == Some('0') { '1' } else { '0' });
    let refused = authorizer
        .authorize(&event("x-api-key", &wrong)?, now)
        .await
        .unwrap_err();
    assert_eq!(refused.to_string(), "Unauthorized");
    env.teardown().await
}
