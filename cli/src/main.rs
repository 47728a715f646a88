//! The `ida` command.

fn main() {}
