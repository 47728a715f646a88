//! IDA's local stack: endpoints of the local AWS emulators and provisioning of the resources that
//! `infra/template.yaml` declares, under a unique name prefix so tests run side by side.
//!
//! Only tests and `ida serve` use this crate; no function depends on it.
