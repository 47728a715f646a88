//! Integration tests of the local stack on the emulators: the pipeline state machine provisioned
//! from the template and driven by the queue pollers, with stage handlers written here running
//! in the real callback-worker harness.

mod pipeline;
