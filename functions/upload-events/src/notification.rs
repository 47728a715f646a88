//! S3 event notifications as SQS delivers them: the `ObjectCreated` records of a message body,
//! or the `s3:TestEvent` S3 sends once when the notification is configured (ignored).

use serde::Deserialize;

/// One object that landed in the uploads bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectCreated {
    /// The bucket.
    pub bucket: String,
    /// The key, URL-decoded.
    pub key: String,
    /// Its size in bytes, as S3 reports it.
    pub size: u64,
}

/// What one SQS message body holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notification {
    /// The configuration test S3 sends; there is nothing to do.
    Test,
    /// Objects created (other event kinds in the same body are skipped).
    Objects(Vec<ObjectCreated>),
}

#[derive(Deserialize)]
struct Body {
    #[serde(rename = "Event")]
    event: Option<String>,
    #[serde(rename = "Records", default)]
    records: Vec<Record>,
}

#[derive(Deserialize)]
struct Record {
    #[serde(rename = "eventName", default)]
    event_name: String,
    s3: Entity,
}

#[derive(Deserialize)]
struct Entity {
    bucket: Bucket,
    object: Object,
}

#[derive(Deserialize)]
struct Bucket {
    name: String,
}

#[derive(Deserialize)]
struct Object {
    key: String,
    #[serde(default)]
    size: u64,
}

/// Reads an SQS message body; an error names the line and column where it stopped.
pub fn parse(body: &str) -> Result<Notification, String> {
    let body: Body = serde_json::from_str(body).map_err(|error| {
        format!(
            "not an S3 notification (line {}, column {})",
            error.line(),
            error.column()
        )
    })?;
    if body.event.as_deref() == Some("s3:TestEvent") {
        return Ok(Notification::Test);
    }
    Ok(Notification::Objects(
        body.records
            .into_iter()
            .filter(|record| record.event_name.starts_with("ObjectCreated:"))
            .map(|record| ObjectCreated {
                bucket: record.s3.bucket.name,
                key: decode_key(&record.s3.object.key),
                size: record.s3.object.size,
            })
            .collect(),
    ))
}

/// S3 notifications carry keys form-encoded (`+` for a space, `%XX` for other bytes).
fn decode_key(key: &str) -> String {
    form_urlencoded::parse(key.as_bytes())
        .map(|(name, value)| {
            if value.is_empty() {
                name.into_owned()
            } else {
                format!("{name}={value}")
            }
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_test_event_is_recognised() {
        let body = r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2026-11-25T10:00:00.000Z","Bucket":"b","RequestId":"r","HostId":"h"}"#;
        assert_eq!(parse(body).unwrap(), Notification::Test);
    }

    #[test]
    fn object_created_records_are_read_with_decoded_keys() {
        let body = r#"{"Records":[
            {"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"up"},"object":{"key":"tenants/ten_1/uploads/upl_2/sales+2024%28v2%29.csv","size":42}}},
            {"eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"up"},"object":{"key":"x"}}}
        ]}"#;
        assert_eq!(
            parse(body).unwrap(),
            Notification::Objects(vec![ObjectCreated {
                bucket: "up".into(),
                key: "tenants/ten_1/uploads/upl_2/sales 2024(v2).csv".into(),
                size: 42,
            }])
        );
    }

    #[test]
    fn a_body_that_is_no_notification_names_the_place() {
        let error = parse("{\"Records\": [1]}").unwrap_err();
        assert!(error.contains("line 1"), "{error}");
    }

    #[test]
    fn the_sample_sqs_event_holds_a_test_event_and_one_created_object() {
        let text = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../events/upload-events/sqs-object-created.json"
        ));
        let event: aws_lambda_events::sqs::SqsEvent = serde_json::from_str(text).unwrap();
        let bodies: Vec<Notification> = event
            .records
            .iter()
            .map(|record| parse(record.body.as_deref().unwrap()).unwrap())
            .collect();
        assert_eq!(bodies[0], Notification::Test);
        assert_eq!(
            bodies[1],
            Notification::Objects(vec![ObjectCreated {
                bucket: "ida-uploads-123456789012-us-east-1".into(),
                key: "tenants/ten_0193a4f0c2b97d3e8f1a2b3c4d5e6f70/uploads/upl_0193a4f0c3c17e2a9b8c7d6e5f4a3b21/sales 2024.csv".into(),
                size: 1843,
            }])
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        // Every name a FileName allows survives S3's form encoding and this decoding.
        #[test]
        fn decoding_inverts_form_encoding(name in "[A-Za-z0-9 ._()-]{1,40}") {
            let encoded: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
            prop_assert_eq!(decode_key(&encoded), name);
        }
    }
}
