//! YAML reading and writing. Every other module goes through here, so the library behind
//! it (yaml-rust2 for reading; writing is our own) can be swapped in one place.
//!
//! Reading resolves plain scalars with the YAML 1.2 core schema and reports scalars whose
//! meaning differs under YAML 1.1 (which Kubernetes uses), so one input has one meaning.
//! Writing quotes every string that a YAML 1.1 or 1.2 reader could take for anything else.

pub mod node;
mod read;
mod write;

pub use node::{Entry, Node, Span, Value};
pub use read::{
    escape_controls, is_unreadable, parse_stream, unreadable_character, ReadOptions, ReadProblem,
    ReadResult,
};
pub use write::to_string;
