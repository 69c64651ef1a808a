//! mailshift-maildir (in progress).
