//! mailshift-eml (in progress).
