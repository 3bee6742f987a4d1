//! The database on disk: its layout ([`Layout`], every folder and file name),
//! one writer at a time ([`lock`]), new versions staged and made current
//! ([`publish`]), and what the next incremental run needs beside them: the
//! state and its cache ([`state`]) and the parts kept for reuse ([`parts`]).

pub mod lock;
pub mod parts;
pub mod publish;
pub mod state;
