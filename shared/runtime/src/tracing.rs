//! JSON logs for CloudWatch: one object per line, each carrying the fields of the request span
//! (Lambda request id, correlation id, method, path) opened by [`crate::http::respond`].
//!
//! Nothing here logs a request or response body. Dependencies (the AWS SDK, hyper, rustls) are
//! capped at `info` whatever `IDA_LOG_LEVEL` says, because at `debug` and below they log wire
//! traffic, which can carry payloads.

use crate::error::RuntimeError;
use crate::settings::LogLevel;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::{Directive, LevelFilter};
use tracing_subscriber::fmt::MakeWriter;

/// Crates whose logs below `info` would show wire traffic.
const CHATTY_DEPENDENCIES: [&str; 6] = [
    "aws_smithy_runtime",
    "aws_smithy_http_client",
    "aws_config",
    "hyper",
    "h2",
    "rustls",
];

/// Installs the JSON subscriber on stdout for the whole process; call it once, first thing.
pub fn init(level: LogLevel) -> Result<(), RuntimeError> {
    use tracing_subscriber::util::SubscriberInitExt;
    json_subscriber(level, std::io::stdout).try_init()?;
    Ok(())
}

/// Logs an error that stops a cold start, so it reaches CloudWatch as JSON like every other log
/// line, before the function exits with it.
pub fn log_cold_start_failure(error: &RuntimeError) {
    ::tracing::error!(code = error.code(), %error, "cold start failed");
}

/// The subscriber [`init`] installs, writing to any writer so tests can read what it logs.
pub fn json_subscriber<W>(level: LogLevel, writer: W) -> impl ::tracing::Subscriber + Send + Sync
where
    W: for<'writer> MakeWriter<'writer> + Send + Sync + 'static,
{
    tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(true)
        .with_env_filter(filter(level))
        .with_writer(writer)
        .finish()
}

fn filter(level: LogLevel) -> EnvFilter {
    let global = level.filter();
    let dependencies = global.min(LevelFilter::INFO);
    CHATTY_DEPENDENCIES.iter().fold(
        EnvFilter::default().add_directive(Directive::from(global)),
        |filter, target| match format!("{target}={dependencies}").parse::<Directive>() {
            Ok(directive) => filter.add_directive(directive),
            Err(_) => filter,
        },
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::settings::Setting;
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    /// A writer that keeps every line for the test to read.
    #[derive(Clone, Default)]
    pub(crate) struct CapturedLogs(Arc<Mutex<Vec<u8>>>);

    impl CapturedLogs {
        pub(crate) fn lines(&self) -> Vec<serde_json::Value> {
            let bytes = self.0.lock().unwrap().clone();
            String::from_utf8(bytes)
                .unwrap()
                .lines()
                .map(|line| serde_json::from_str(line).unwrap())
                .collect()
        }
    }

    impl Write for CapturedLogs {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().write(bytes)
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Tests that capture logs run one at a time: tracing caches per call site whether any
    /// subscriber wants its events, and subscribers coming and going on other test threads can
    /// make that cache miss a capture's events.
    pub(crate) static LOG_CAPTURE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

    impl<'writer> MakeWriter<'writer> for CapturedLogs {
        type Writer = CapturedLogs;

        fn make_writer(&'writer self) -> Self::Writer {
            self.clone()
        }
    }

    #[test]
    fn events_are_json_lines_with_the_span_fields() {
        let _serial = LOG_CAPTURE.blocking_lock();
        let logs = CapturedLogs::default();
        let subscriber = json_subscriber(LogLevel::default(), logs.clone());
        ::tracing::subscriber::with_default(subscriber, || {
            let span = ::tracing::info_span!("request", correlation_id = "c-1");
            let _entered = span.enter();
            ::tracing::info!(status = 200, "request handled");
            ::tracing::debug!("below the level");
        });
        let lines = logs.lines();
        assert_eq!(lines.len(), 1);
        let line = &lines[0];
        assert_eq!(line["message"], "request handled");
        assert_eq!(line["status"], 200);
        assert_eq!(line["level"], "INFO");
        assert_eq!(line["span"]["correlation_id"], "c-1");
    }

    #[test]
    fn dependencies_stay_at_info_when_the_functions_log_at_trace() {
        let _serial = LOG_CAPTURE.blocking_lock();
        let logs = CapturedLogs::default();
        let trace = LogLevel::parse("trace").unwrap();
        ::tracing::subscriber::with_default(json_subscriber(trace, logs.clone()), || {
            ::tracing::trace!(target: "hyper::proto", "wire bytes");
            ::tracing::info!(target: "hyper::proto", "connection closed");
            ::tracing::trace!(target: "api_health", "function detail");
        });
        let messages: Vec<_> = logs.lines().iter().map(|l| l["message"].clone()).collect();
        assert_eq!(messages, ["connection closed", "function detail"]);
    }
}
