//! Tests of the `ida` command on fixture files.
