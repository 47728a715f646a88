//! Alerts raised on small frames built to trigger (or not trigger) each rule.
