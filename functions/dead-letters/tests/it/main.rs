//! Integration tests of `dead-letters` on the emulators: a provisioned stack, a real execution
//! of the pipeline state machine, its stage message treated as a dead letter.

mod dead_letter;
