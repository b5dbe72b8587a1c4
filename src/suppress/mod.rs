//! Memory between runs: baselines (accepted findings by fingerprint, and `dirready diff`)
//! and the exceptions file (accepted findings with a reason, an owner and an expiry).

pub mod baseline;
pub mod exceptions;
