//! Upload events end to end: accepted uploads start one execution however often their event
//! arrives; rejected ones end as a FAILED job with the check's code and start nothing.

use std::io::Write;

use anyhow::Context;

use ida_core::job::{JobStatus, Stage};
use ida_core::upload::UploadStatus;
use ida_store::ArtifactKey;
use upload_events::{ObjectCreated, Outcome};

use crate::env::TestEnv;

const CSV: &[u8] = b"order_id,amount\n1,9.50\n2,12.00\n";

async fn the_same_event_twice_makes_one_job_and_one_execution(env: &TestEnv) -> anyhow::Result<()> {
    let upload = env
        .upload("orders.csv", "text/csv", CSV.len() as u64, CSV.to_vec())
        .await?;
    let job = env.decided_job(&upload.id).await?;
    assert_eq!(job.status, JobStatus::Running);
    assert_eq!(job.stage, Stage::Parse);
    assert_eq!(job.upload, upload.id);
    assert_eq!(job.dataset, env.dataset);
    assert_eq!(job.failure, None);
    assert_eq!(
        env.upload_record(&upload.id).await?.status,
        UploadStatus::Accepted
    );

    // S3 delivers the same notification again.
    let key = ArtifactKey::upload(&env.scope, &upload.id, &upload.file_name);
    let again = ObjectCreated {
        bucket: env.stack.uploads_bucket.clone(),
        key: key.as_str().to_owned(),
        size: CSV.len() as u64,
    };
    // Step Functions answers a start with a running execution's name and input like the first
    // one (AWS and LocalStack alike), and refuses it once that execution ended: either way,
    // nothing new starts.
    let outcome = env.handler.process(&again).await?;
    assert!(
        outcome
            == Outcome::Started {
                job: job.id.clone()
            }
            || outcome
                == Outcome::AlreadyStarted {
                    job: job.id.clone()
                },
        "{outcome:?}"
    );
    assert_eq!(env.executions().await?, [upload.id.to_string()]);
    assert_eq!(
        env.decided_job(&upload.id).await?.id,
        env.job_id(&upload.id)?
    );
    Ok(())
}

async fn bytes_of_another_type_are_rejected_with_their_code(env: &TestEnv) -> anyhow::Result<()> {
    // A zip archive that is not a workbook, uploaded as a CSV and as an XLSX.
    let mut archive = Vec::new();
    {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut archive));
        zip.start_file("notes.txt", zip::write::SimpleFileOptions::default())?;
        zip.write_all(b"not a table")?;
        zip.finish()?;
    }
    let as_csv = env
        .upload(
            "orders.csv",
            "text/csv",
            archive.len() as u64,
            archive.clone(),
        )
        .await?;
    let as_xlsx = env
        .upload(
            "orders.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            archive.len() as u64,
            archive.clone(),
        )
        .await?;
    // Declared as text, sniffing finds no table in the archive; declared as a workbook, the
    // archive is not one.
    for (upload, code) in [
        (&as_csv, "unsupported_format"),
        (&as_xlsx, "format_mismatch"),
    ] {
        let job = env.decided_job(&upload.id).await?;
        assert_eq!(job.status, JobStatus::Failed);
        let failure = job
            .failure
            .clone()
            .context("a failed job has its failure")?;
        assert_eq!(failure.stage, Stage::Parse);
        assert_eq!(failure.code, code);
        assert!(
            failure
                .message
                .starts_with(&format!("{}: ", upload.file_name.as_str())),
            "{failure:?}"
        );
        assert_eq!(
            env.upload_record(&upload.id).await?.status,
            UploadStatus::Rejected
        );
    }
    assert!(env.executions().await?.is_empty());
    Ok(())
}

async fn a_size_other_than_declared_is_rejected(env: &TestEnv) -> anyhow::Result<()> {
    let upload = env
        .upload("orders.csv", "text/csv", 5, CSV.to_vec())
        .await?;
    let job = env.decided_job(&upload.id).await?;
    assert_eq!(job.status, JobStatus::Failed);
    let failure = job.failure.context("a failed job has its failure")?;
    assert_eq!(failure.code, "size_mismatch");
    assert_eq!(
        failure.message,
        format!("orders.csv: {} bytes arrived, 5 were declared", CSV.len())
    );
    assert_eq!(
        env.upload_record(&upload.id).await?.status,
        UploadStatus::Rejected
    );
    // A second delivery reports the same rejection and starts nothing.
    let key = ArtifactKey::upload(&env.scope, &upload.id, &upload.file_name);
    let again = ObjectCreated {
        bucket: env.stack.uploads_bucket.clone(),
        key: key.as_str().to_owned(),
        size: CSV.len() as u64,
    };
    assert_eq!(
        env.handler.process(&again).await?,
        Outcome::Rejected {
            job: env.job_id(&upload.id)?,
            code: "size_mismatch".to_owned()
        }
    );
    assert!(env.executions().await?.is_empty());
    Ok(())
}

async fn a_key_naming_no_upload_is_ignored(env: &TestEnv) -> anyhow::Result<()> {
    let stray = ObjectCreated {
        bucket: env.stack.uploads_bucket.clone(),
        key: format!(
            "tenants/{}/uploads/upl_{}/x.csv",
            env.scope.tenant(),
            "0".repeat(32)
        ),
        size: 3,
    };
    assert!(matches!(
        env.handler.process(&stray).await?,
        Outcome::Ignored { .. }
    ));
    let foreign = ObjectCreated {
        bucket: env.stack.uploads_bucket.clone(),
        key: "exports/report.csv".to_owned(),
        size: 3,
    };
    assert!(matches!(
        env.handler.process(&foreign).await?,
        Outcome::Ignored { .. }
    ));
    Ok(())
}

macro_rules! on_emulators {
    ($($name:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() -> anyhow::Result<()> {
            let env = TestEnv::start().await?;
            let outcome = tokio::time::timeout(
                std::time::Duration::from_secs(60),
                crate::events::$name(&env),
            )
            .await;
            env.teardown().await?;
            outcome??;
            Ok(())
        }
    )*};
}

mod on_emulators {
    use crate::env::TestEnv;
    on_emulators!(
        the_same_event_twice_makes_one_job_and_one_execution,
        bytes_of_another_type_are_rejected_with_their_code,
        a_size_other_than_declared_is_rejected,
        a_key_naming_no_upload_is_ignored,
    );
}
