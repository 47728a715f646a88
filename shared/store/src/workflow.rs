//! Projects, uploads, jobs, recipes and approval requests: records that are created, read,
//! listed and replaced under optimistic concurrency, each change audited in its transaction.
//! Creating a project or an upload moves its quota counter in the same transaction.

use ida_core::TenantScope;
use ida_core::approval::ApprovalRequest;
use ida_core::audit::{AuditAction, EntityKind};
use ida_core::id::{ApprovalId, JobId, ProjectId, RecipeId, UploadId};
use ida_core::job::Job;
use ida_core::project::Project;
use ida_core::quota::Quota;
use ida_core::recipe::Recipe;
use ida_core::upload::Upload;

use crate::context::WriteContext;
use crate::cursor::{Page, PageRequest};
use crate::dynamo::DynamoStore;
use crate::error::Result;
use crate::item::{Revision, Stored};
use crate::keys::sk;
use crate::ports::{
    ApprovalRepository, JobRepository, ProjectRepository, RecipeRepository, UploadRepository,
};
use crate::records::{ItemAttributes, RecordSpec};

fn project_spec(project: &Project, action: AuditAction) -> RecordSpec<'_> {
    RecordSpec {
        sk: sk::project(&project.id),
        kind: "project",
        entity: EntityKind::Project,
        id: project.id.to_string(),
        owner: &project.tenant,
        action,
    }
}

impl ProjectRepository for DynamoStore {
    async fn create_project(
        &self,
        scope: &TenantScope,
        project: Project,
        ctx: &WriteContext,
    ) -> Result<Stored<Project>> {
        let quota = self.quota_write(scope, Quota::Projects, 1).await?;
        self.create_record(
            scope,
            project_spec(&project, AuditAction::ProjectCreated),
            project.clone(),
            ItemAttributes::default(),
            vec![quota],
            ctx,
        )
        .await
    }

    async fn get_project(&self, scope: &TenantScope, id: &ProjectId) -> Result<Stored<Project>> {
        self.get_record(scope, &sk::project(id), "project", id)
            .await
    }

    async fn list_projects(
        &self,
        scope: &TenantScope,
        page: &PageRequest,
    ) -> Result<Page<Stored<Project>>> {
        self.list_records(scope, "projects", "PROJECT#", "project", page)
            .await
    }

    async fn update_project(
        &self,
        scope: &TenantScope,
        project: Project,
        expected: Revision,
        ctx: &WriteContext,
    ) -> Result<Stored<Project>> {
        self.replace_record(
            scope,
            project_spec(&project, AuditAction::ProjectUpdated),
            project.clone(),
            expected,
            vec![],
            ctx,
        )
        .await
    }
}

fn upload_spec(upload: &Upload, action: AuditAction) -> RecordSpec<'_> {
    RecordSpec {
        sk: sk::upload(&upload.id),
        kind: "upload",
        entity: EntityKind::Upload,
        id: upload.id.to_string(),
        owner: &upload.tenant,
        action,
    }
}

impl UploadRepository for DynamoStore {
    async fn create_upload(
        &self,
        scope: &TenantScope,
        upload: Upload,
        ctx: &WriteContext,
    ) -> Result<Stored<Upload>> {
        let quota = self
            .quota_write(scope, Quota::UploadBytes, upload.declared_bytes)
            .await?;
        self.create_record(
            scope,
            upload_spec(&upload, AuditAction::UploadCreated),
            upload.clone(),
            ItemAttributes::default(),
            vec![quota],
            ctx,
        )
        .await
    }

    async fn get_upload(&self, scope: &TenantScope, id: &UploadId) -> Result<Stored<Upload>> {
        self.get_record(scope, &sk::upload(id), "upload", id).await
    }

    async fn update_upload(
        &self,
        scope: &TenantScope,
        upload: Upload,
        expected: Revision,
        action: AuditAction,
        ctx: &WriteContext,
    ) -> Result<Stored<Upload>> {
        self.replace_record(
            scope,
            upload_spec(&upload, action),
            upload.clone(),
            expected,
            vec![],
            ctx,
        )
        .await
    }
}

fn job_spec(job: &Job, action: AuditAction) -> RecordSpec<'_> {
    RecordSpec {
        sk: sk::job(&job.id),
        kind: "job",
        entity: EntityKind::Job,
        id: job.id.to_string(),
        owner: &job.tenant,
        action,
    }
}

impl JobRepository for DynamoStore {
    async fn create_job(
        &self,
        scope: &TenantScope,
        job: Job,
        ctx: &WriteContext,
    ) -> Result<Stored<Job>> {
        self.create_record(
            scope,
            job_spec(&job, AuditAction::JobStatusChanged),
            job.clone(),
            ItemAttributes::default(),
            vec![],
            ctx,
        )
        .await
    }

    async fn get_job(&self, scope: &TenantScope, id: &JobId) -> Result<Stored<Job>> {
        self.get_record(scope, &sk::job(id), "job", id).await
    }

    async fn list_jobs(
        &self,
        scope: &TenantScope,
        page: &PageRequest,
    ) -> Result<Page<Stored<Job>>> {
        self.list_records(scope, "jobs", "JOB#", "job", page).await
    }

    async fn update_job(
        &self,
        scope: &TenantScope,
        job: Job,
        expected: Revision,
        ctx: &WriteContext,
    ) -> Result<Stored<Job>> {
        self.replace_record(
            scope,
            job_spec(&job, AuditAction::JobStatusChanged),
            job.clone(),
            expected,
            vec![],
            ctx,
        )
        .await
    }
}

fn recipe_spec(recipe: &Recipe, action: AuditAction) -> RecordSpec<'_> {
    RecordSpec {
        sk: sk::recipe(&recipe.id),
        kind: "recipe",
        entity: EntityKind::Recipe,
        id: recipe.id.to_string(),
        owner: &recipe.tenant,
        action,
    }
}

impl RecipeRepository for DynamoStore {
    async fn create_recipe(
        &self,
        scope: &TenantScope,
        recipe: Recipe,
        ctx: &WriteContext,
    ) -> Result<Stored<Recipe>> {
        self.create_record(
            scope,
            recipe_spec(&recipe, AuditAction::RecipePlanned),
            recipe.clone(),
            ItemAttributes::default(),
            vec![],
            ctx,
        )
        .await
    }

    async fn get_recipe(&self, scope: &TenantScope, id: &RecipeId) -> Result<Stored<Recipe>> {
        self.get_record(scope, &sk::recipe(id), "recipe", id).await
    }

    async fn update_recipe(
        &self,
        scope: &TenantScope,
        recipe: Recipe,
        expected: Revision,
        action: AuditAction,
        ctx: &WriteContext,
    ) -> Result<Stored<Recipe>> {
        self.replace_record(
            scope,
            recipe_spec(&recipe, action),
            recipe.clone(),
            expected,
            vec![],
            ctx,
        )
        .await
    }
}

fn approval_spec(approval: &ApprovalRequest, action: AuditAction) -> RecordSpec<'_> {
    RecordSpec {
        sk: sk::approval(&approval.id),
        kind: "approval",
        entity: EntityKind::Approval,
        id: approval.id.to_string(),
        owner: &approval.tenant,
        action,
    }
}

impl ApprovalRepository for DynamoStore {
    async fn create_approval(
        &self,
        scope: &TenantScope,
        approval: ApprovalRequest,
        ctx: &WriteContext,
    ) -> Result<Stored<ApprovalRequest>> {
        self.create_record(
            scope,
            approval_spec(&approval, AuditAction::ApprovalRequested),
            approval.clone(),
            ItemAttributes::default(),
            vec![],
            ctx,
        )
        .await
    }

    async fn get_approval(
        &self,
        scope: &TenantScope,
        id: &ApprovalId,
    ) -> Result<Stored<ApprovalRequest>> {
        self.get_record(scope, &sk::approval(id), "approval", id)
            .await
    }

    async fn list_approvals(
        &self,
        scope: &TenantScope,
        page: &PageRequest,
    ) -> Result<Page<Stored<ApprovalRequest>>> {
        self.list_records(scope, "approvals", "APPROVAL#", "approval", page)
            .await
    }

    async fn update_approval(
        &self,
        scope: &TenantScope,
        approval: ApprovalRequest,
        expected: Revision,
        ctx: &WriteContext,
    ) -> Result<Stored<ApprovalRequest>> {
        self.replace_record(
            scope,
            approval_spec(&approval, AuditAction::ApprovalDecided),
            approval.clone(),
            expected,
            vec![],
            ctx,
        )
        .await
    }
}
