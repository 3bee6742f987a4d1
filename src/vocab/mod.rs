//! The words of the returns: how bodies type labels and values, and the
//! built-in sex and age labels. The pipeline files ([`crate::config`]) are
//! checked against them and the normaliser ([`crate::normalise`]) reads with
//! them, so they sit below both.
//!
//! * [`clean`]: label normalisation (full-width to half-width, spaces), value
//!   cleaning (thousands separators, dashes, footnote marks), unit scales;
//! * [`labels`]: total, sex and age labels and codes (`女`, `0-4岁` → `Y0T4`).

pub mod clean;
pub mod labels;
