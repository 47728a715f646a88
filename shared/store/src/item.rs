//! How a domain record becomes a DynamoDB item and back: key attributes, the record's kind, its
//! revision for optimistic concurrency, an optional global look-up key and TTL, and the record
//! itself as a JSON body (so the item shape follows ida-core's serde shape exactly).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Result, StoreError};

/// A DynamoDB item.
pub(crate) type Item = HashMap<String, AttributeValue>;

/// A record's revision: 1 when created, one more on every change. A write names the revision it
/// read; a stale one is refused as a conflict.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
pub struct Revision(u64);

impl Revision {
    /// The revision of a new record.
    pub const FIRST: Revision = Revision(1);

    /// The number.
    pub fn get(self) -> u64 {
        self.0
    }

    /// The revision after this one.
    pub(crate) fn next(self) -> Revision {
        Revision(self.0.saturating_add(1))
    }

    pub(crate) fn attribute(self) -> AttributeValue {
        AttributeValue::N(self.0.to_string())
    }
}

/// A record as stored, with the revision a later update must name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Stored<T> {
    /// The record.
    pub record: T,
    /// Its current revision.
    pub revision: Revision,
}

/// An item under construction.
pub(crate) struct ItemBuilder {
    item: Item,
}

impl ItemBuilder {
    /// An item with its keys, kind and revision.
    pub(crate) fn new(pk: &str, sk: &str, kind: &str, revision: Revision) -> Self {
        let mut item = Item::new();
        item.insert("pk".into(), AttributeValue::S(pk.to_owned()));
        item.insert("sk".into(), AttributeValue::S(sk.to_owned()));
        item.insert("kind".into(), AttributeValue::S(kind.to_owned()));
        item.insert("revision".into(), revision.attribute());
        ItemBuilder { item }
    }

    /// Adds the record as the JSON body.
    pub(crate) fn body<T: Serialize>(mut self, record: &T) -> Result<Self> {
        let json = serde_json::to_string(record).map_err(|e| StoreError::Backend {
            operation: "encode",
            message: e.to_string(),
        })?;
        self.item.insert("body".into(), AttributeValue::S(json));
        Ok(self)
    }

    /// Adds a global look-up key on `gsi1`.
    pub(crate) fn lookup(mut self, gsi1pk: String, gsi1sk: &str) -> Self {
        self.item.insert("gsi1pk".into(), AttributeValue::S(gsi1pk));
        self.item
            .insert("gsi1sk".into(), AttributeValue::S(gsi1sk.to_owned()));
        self
    }

    /// Adds the TTL attribute (Unix seconds).
    pub(crate) fn expires_at(mut self, unix_seconds: i64) -> Self {
        self.item.insert(
            "expires_at".into(),
            AttributeValue::N(unix_seconds.to_string()),
        );
        self
    }

    /// Adds any other attribute.
    pub(crate) fn attribute(mut self, name: &str, value: AttributeValue) -> Self {
        self.item.insert(name.to_owned(), value);
        self
    }

    pub(crate) fn build(self) -> Item {
        self.item
    }
}

/// `pk/sk` of an item, for error messages.
pub(crate) fn key_text(item: &Item) -> String {
    format!(
        "{}/{}",
        string_or_empty(item, "pk"),
        string_or_empty(item, "sk")
    )
}

fn string_or_empty<'a>(item: &'a Item, name: &str) -> &'a str {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        .unwrap_or_default()
}

/// A string attribute, or a corrupt-record error naming it.
pub(crate) fn string_attr<'a>(item: &'a Item, name: &str) -> Result<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
        .ok_or_else(|| {
            StoreError::corrupt(
                key_text(item),
                format!("attribute {name} missing or not a string"),
            )
        })
}

/// A number attribute, or a corrupt-record error naming it.
pub(crate) fn number_attr(item: &Item, name: &str) -> Result<u64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| {
            StoreError::corrupt(
                key_text(item),
                format!("attribute {name} missing or not a whole number"),
            )
        })
}

/// An optional number attribute.
pub(crate) fn optional_number_attr(item: &Item, name: &str) -> Option<i64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
}

/// The record in an item's body, with its revision.
pub(crate) fn decode<T: DeserializeOwned>(item: &Item) -> Result<Stored<T>> {
    let body = string_attr(item, "body")?;
    let record = serde_json::from_str(body)
        .map_err(|e| StoreError::corrupt(key_text(item), format!("body does not parse: {e}")))?;
    let revision = Revision(number_attr(item, "revision")?);
    Ok(Stored { record, revision })
}

/// A string value.
pub(crate) fn s(text: impl Into<String>) -> AttributeValue {
    AttributeValue::S(text.into())
}

/// A number value.
pub(crate) fn n(number: impl ToString) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
    struct Note {
        text: String,
    }

    #[test]
    fn items_round_trip_their_record_and_revision() {
        let note = Note {
            text: "ä, \"quoted\"".into(),
        };
        let item = ItemBuilder::new("TENANT#t", "NOTE#1", "note", Revision::FIRST.next())
            .body(&note)
            .unwrap()
            .expires_at(1_700_000_000)
            .build();
        let stored: Stored<Note> = decode(&item).unwrap();
        assert_eq!(stored.record, note);
        assert_eq!(stored.revision.get(), 2);
        assert_eq!(
            optional_number_attr(&item, "expires_at"),
            Some(1_700_000_000)
        );
    }

    #[test]
    fn a_broken_item_names_its_key_and_attribute() {
        let item = ItemBuilder::new("TENANT#t", "NOTE#1", "note", Revision::FIRST).build();
        let err = decode::<Note>(&item).unwrap_err();
        assert_eq!(
            err.to_string(),
            "corrupt record at TENANT#t/NOTE#1: attribute body missing or not a string"
        );
    }
}
