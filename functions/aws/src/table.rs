//! Creating the table (tests, local emulators, `infra/create-table`); in AWS the SAM template
//! creates the same table.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::DisplayErrorContext;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};

use crate::keys;

fn attribute(name: &str) -> Result<AttributeDefinition, String> {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .map_err(|e| e.to_string())
}

fn key(name: &str, key_type: KeyType) -> Result<KeySchemaElement, String> {
    KeySchemaElement::builder().attribute_name(name).key_type(key_type).build().map_err(|e| e.to_string())
}

/// Create the table with its indexes and TTL if it does not exist; wait until it is active.
/// `Ok(true)` when it was created, `Ok(false)` when it existed already.
pub async fn create_table(client: &Client, table: &str) -> Result<bool, String> {
    if let Ok(out) = client.describe_table().table_name(table).send().await
        && out.table().is_some()
    {
        return Ok(false);
    }
    let mut request = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .key_schema(key(keys::PK, KeyType::Hash)?)
        .key_schema(key(keys::SK, KeyType::Range)?)
        .attribute_definitions(attribute(keys::PK)?)
        .attribute_definitions(attribute(keys::SK)?);
    for (name, pk, sk) in keys::INDEXES {
        request = request
            .attribute_definitions(attribute(pk)?)
            .attribute_definitions(attribute(sk)?)
            .global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(name)
                    .key_schema(key(pk, KeyType::Hash)?)
                    .key_schema(key(sk, KeyType::Range)?)
                    .projection(Projection::builder().projection_type(ProjectionType::All).build())
                    .build()
                    .map_err(|e| e.to_string())?,
            );
    }
    request.send().await.map_err(|e| DisplayErrorContext(&e).to_string())?;
    for _ in 0..120 {
        let out =
            client.describe_table().table_name(table).send().await.map_err(|e| DisplayErrorContext(&e).to_string())?;
        if out.table().and_then(|t| t.table_status()) == Some(&TableStatus::Active) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(keys::TTL)
                .enabled(true)
                .build()
                .map_err(|e| e.to_string())?,
        )
        .send()
        .await
        .map_err(|e| DisplayErrorContext(&e).to_string())?;
    Ok(true)
}
