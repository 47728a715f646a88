//! The records table on DynamoDB Local: conditional writes and all-or-nothing transactions.

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use ida_local::ParameterOverrides;

use crate::env::TestEnv;

fn item(pk: &str, sk: &str) -> std::collections::HashMap<String, AttributeValue> {
    std::collections::HashMap::from([
        ("pk".to_owned(), AttributeValue::S(pk.to_owned())),
        ("sk".to_owned(), AttributeValue::S(sk.to_owned())),
    ])
}

fn put_new(table: &str, pk: &str, sk: &str) -> TransactWriteItem {
    TransactWriteItem::builder()
        .put(
            Put::builder()
                .table_name(table)
                .set_item(Some(item(pk, sk)))
                .condition_expression("attribute_not_exists(pk)")
                .build()
                .expect("a complete Put"),
        )
        .build()
}

#[tokio::test]
async fn a_conditional_write_refuses_a_duplicate() -> anyhow::Result<()> {
    let env = TestEnv::start(ParameterOverrides::new()).await?;
    let ddb = &env.stack.clients.dynamodb;
    let table = &env.stack.records_table;
    let write = || {
        ddb.put_item()
            .table_name(table)
            .set_item(Some(item("EMAIL#ada@example.com", "GUARD")))
            .condition_expression("attribute_not_exists(pk)")
            .send()
    };
    write().await?;
    let error = write().await.expect_err("the second write must be refused");
    assert!(
        error
            .as_service_error()
            .is_some_and(|e| e.is_conditional_check_failed_exception()),
        "{error:?}"
    );
    env.finish().await
}

#[tokio::test]
async fn a_transact_write_is_all_or_nothing() -> anyhow::Result<()> {
    let env = TestEnv::start(ParameterOverrides::new()).await?;
    let ddb = &env.stack.clients.dynamodb;
    let table = env.stack.records_table.clone();
    ddb.put_item()
        .table_name(&table)
        .set_item(Some(item("EMAIL#taken@example.com", "GUARD")))
        .send()
        .await?;

    // A new user whose email guard already exists: the whole transaction is cancelled.
    let refused = ddb
        .transact_write_items()
        .transact_items(put_new(&table, "TENANT#t1", "USER#u1"))
        .transact_items(put_new(&table, "EMAIL#taken@example.com", "GUARD"))
        .send()
        .await
        .expect_err("the guard exists");
    assert!(
        refused
            .as_service_error()
            .is_some_and(|e| e.is_transaction_canceled_exception()),
        "{refused:?}"
    );
    let user = ddb
        .get_item()
        .table_name(&table)
        .set_key(Some(item("TENANT#t1", "USER#u1")))
        .send()
        .await?;
    assert!(
        user.item().is_none(),
        "no part of a cancelled transaction may be written"
    );

    ddb.transact_write_items()
        .transact_items(put_new(&table, "TENANT#t1", "USER#u1"))
        .transact_items(put_new(&table, "EMAIL#free@example.com", "GUARD"))
        .send()
        .await?;
    for (pk, sk) in [
        ("TENANT#t1", "USER#u1"),
        ("EMAIL#free@example.com", "GUARD"),
    ] {
        let got = ddb
            .get_item()
            .table_name(&table)
            .set_key(Some(item(pk, sk)))
            .send()
            .await?;
        assert!(
            got.item().is_some(),
            "{pk}/{sk} written by the committed transaction"
        );
    }
    env.finish().await
}
