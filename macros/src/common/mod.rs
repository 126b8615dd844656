//! Helpers shared by both attributes.

pub(crate) mod diag;
pub(crate) mod paths;
