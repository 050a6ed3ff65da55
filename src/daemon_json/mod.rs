//! The daemon.json document: decode, parse with positions, format-preserving edits.
