//! Integration tests of `upload-events` on the emulators: real uploads-bucket notifications
//! drained by the local host's poller, real records, the real state machine.

mod env;
mod events;
