//! mailshift-mbox (in progress).
