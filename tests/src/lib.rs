//! Workspace-level integration tests of IDA against the local AWS emulators. The suite lives in
//! `e2e/`; this library is empty on purpose so the package has one test binary.
