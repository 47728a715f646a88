//! What the recipe routes refuse beyond the shared runtime errors, each with its stable code:
//! a recipe that is not waiting for a decision, one that can no longer be edited, an edit that
//! does not fit the dataset, and a decision the pipeline no longer waits for.

use ida_core::recipe::RecipeStatus;
use ida_runtime::RuntimeError;
use ida_runtime::http::Problem;
use lambda_http::http::header::HeaderName;
use lambda_http::http::{HeaderValue, StatusCode};

/// One problem of an edited recipe, named by the field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    /// The field, such as `steps[2]` or `reason`.
    pub field: String,
    /// What is wrong, in words safe to show.
    pub message: String,
}

impl std::fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// Everything a recipe route refuses.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecipeRouteError {
    /// Approve or reject of a recipe that is not PENDING_APPROVAL with a waiting pipeline task
    /// (planned but not yet submitted, or already decided).
    #[error("{}", not_awaiting(*.status, *.task_waiting))]
    NotAwaitingDecision {
        /// Its status.
        status: RecipeStatus,
        /// Whether the pipeline stored a task token.
        task_waiting: bool,
    },
    /// An edit of a recipe that is no longer DRAFT or PENDING_APPROVAL.
    #[error("the recipe is {status}: only DRAFT or PENDING_APPROVAL recipes may be edited")]
    NotEditable {
        /// Its status.
        status: RecipeStatus,
    },
    /// An edited recipe that does not parse or does not fit the dataset version's columns;
    /// every problem is listed.
    #[error("invalid recipe: {}", join(.problems))]
    InvalidRecipe {
        /// Each problem with its field.
        problems: Vec<FieldProblem>,
    },
    /// A request field with a wrong value.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        /// The field.
        field: &'static str,
        /// What a valid value looks like.
        reason: &'static str,
    },
    /// The dataset version's `schema.json` is not there to validate an edit against.
    #[error("the schema of the recipe's dataset version is not available")]
    SchemaUnavailable,
    /// The pipeline no longer waits for this decision (its task timed out or its execution
    /// was stopped); the recipe keeps the decision, the job does not move.
    #[error("the pipeline no longer waits for this decision: {reason}")]
    TaskGone {
        /// What Step Functions answered; logged, never sent.
        reason: String,
    },
    /// Everything the shared runtime maps.
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

fn not_awaiting(status: RecipeStatus, task_waiting: bool) -> String {
    match (status, task_waiting) {
        (RecipeStatus::PendingApproval, false) => {
            "the recipe is PENDING_APPROVAL but the pipeline is not waiting for its decision yet"
                .to_owned()
        }
        (RecipeStatus::Draft, _) => {
            "the recipe is DRAFT: it has not been submitted for approval".to_owned()
        }
        (status, _) => format!("the recipe is {status}: it was already decided"),
    }
}

fn join(problems: &[FieldProblem]) -> String {
    problems
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<ida_store::StoreError> for RecipeRouteError {
    fn from(error: ida_store::StoreError) -> Self {
        RecipeRouteError::Runtime(error.into())
    }
}

impl From<ida_core::CoreError> for RecipeRouteError {
    fn from(error: ida_core::CoreError) -> Self {
        RecipeRouteError::Runtime(error.into())
    }
}

impl From<ida_core::error::AccessDenied> for RecipeRouteError {
    fn from(error: ida_core::error::AccessDenied) -> Self {
        RecipeRouteError::Runtime(error.into())
    }
}

impl From<serde_json::Error> for RecipeRouteError {
    fn from(error: serde_json::Error) -> Self {
        RecipeRouteError::Runtime(error.into())
    }
}

impl Problem for RecipeRouteError {
    fn status(&self) -> StatusCode {
        match self {
            RecipeRouteError::NotAwaitingDecision { .. }
            | RecipeRouteError::NotEditable { .. }
            | RecipeRouteError::SchemaUnavailable
            | RecipeRouteError::TaskGone { .. } => StatusCode::CONFLICT,
            RecipeRouteError::InvalidRecipe { .. } | RecipeRouteError::InvalidField { .. } => {
                StatusCode::BAD_REQUEST
            }
            RecipeRouteError::Runtime(error) => error.status(),
        }
    }

    fn problem_code(&self) -> &'static str {
        match self {
            RecipeRouteError::NotAwaitingDecision { .. } => "recipe_not_awaiting_decision",
            RecipeRouteError::NotEditable { .. } => "recipe_not_editable",
            RecipeRouteError::InvalidRecipe { .. } => "invalid_recipe",
            RecipeRouteError::InvalidField { .. } => "invalid_field",
            RecipeRouteError::SchemaUnavailable => "schema_unavailable",
            RecipeRouteError::TaskGone { .. } => "approval_task_gone",
            RecipeRouteError::Runtime(error) => error.problem_code(),
        }
    }

    fn title(&self) -> &'static str {
        match self {
            RecipeRouteError::NotAwaitingDecision { .. } => "Recipe not awaiting a decision",
            RecipeRouteError::NotEditable { .. } => "Recipe not editable",
            RecipeRouteError::InvalidRecipe { .. } => "Invalid recipe",
            RecipeRouteError::InvalidField { .. } => "Validation failed",
            RecipeRouteError::SchemaUnavailable => "Dataset schema unavailable",
            RecipeRouteError::TaskGone { .. } => "Approval no longer awaited",
            RecipeRouteError::Runtime(error) => error.title(),
        }
    }

    fn public_detail(&self) -> Option<String> {
        match self {
            RecipeRouteError::TaskGone { .. } => Some(
                "The pipeline stopped waiting for this decision (timed out or cancelled): \
                 retry the job to plan again."
                    .to_owned(),
            ),
            RecipeRouteError::Runtime(error) => error.public_detail(),
            other => Some(format!("{other}.")),
        }
    }

    fn log_code(&self) -> &'static str {
        match self {
            RecipeRouteError::Runtime(error) => error.log_code(),
            other => other.problem_code(),
        }
    }

    fn headers(&self) -> Vec<(HeaderName, HeaderValue)> {
        match self {
            RecipeRouteError::Runtime(error) => error.headers(),
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_invalid_recipe_lists_every_problem_with_its_field() {
        let error = RecipeRouteError::InvalidRecipe {
            problems: vec![
                FieldProblem {
                    field: "steps[0].columns".into(),
                    message: "no column 'amount'".into(),
                },
                FieldProblem {
                    field: "steps[2]".into(),
                    message: "unknown op".into(),
                },
            ],
        };
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        assert_eq!(error.problem_code(), "invalid_recipe");
        assert_eq!(
            error.public_detail().unwrap(),
            "invalid recipe: steps[0].columns: no column 'amount'; steps[2]: unknown op."
        );
    }

    #[test]
    fn a_decided_recipe_is_a_409_with_its_own_code() {
        let error = RecipeRouteError::NotAwaitingDecision {
            status: RecipeStatus::Approved,
            task_waiting: true,
        };
        assert_eq!(error.status(), StatusCode::CONFLICT);
        assert_eq!(error.problem_code(), "recipe_not_awaiting_decision");
        assert_eq!(
            error.public_detail().unwrap(),
            "the recipe is APPROVED: it was already decided."
        );
    }

    #[test]
    fn the_step_functions_text_of_a_gone_task_stays_in_the_log() {
        let error = RecipeRouteError::TaskGone {
            reason: "TaskTimedOut: arn:aws:states:secret".into(),
        };
        assert_eq!(error.problem_code(), "approval_task_gone");
        assert!(!error.public_detail().unwrap().contains("arn:"));
    }
}
