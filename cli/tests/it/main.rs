//! Tests of the `ida` command on the data engine's fixture files.

#[cfg(test)]
mod apply;
#[cfg(test)]
mod invocation;
#[cfg(test)]
mod parse;
#[cfg(test)]
mod run;
