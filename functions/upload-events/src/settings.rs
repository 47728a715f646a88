//! What `upload-events` reads at cold start: the store's table, buckets and key, and the
//! pipeline state machine to start.

use ida_runtime::RuntimeError;
use ida_runtime::pipeline_settings::PipelineSettings;
use ida_runtime::settings::Settings;
use ida_store::StoreSettings;

/// The settings of `upload-events`.
#[derive(Debug, Clone)]
pub struct UploadEventsSettings {
    /// Records table, buckets, data key.
    pub store: StoreSettings,
    /// The state machine it starts.
    pub pipeline: PipelineSettings,
}

impl Settings for UploadEventsSettings {
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, RuntimeError> {
        Ok(Self {
            store: StoreSettings::from_lookup(&lookup)?,
            pipeline: PipelineSettings::from_lookup(&lookup)?,
        })
    }
}
