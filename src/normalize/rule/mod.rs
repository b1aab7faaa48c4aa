//! One file per rule kind; each implements `rules::Rule` and has one line in `rules::TABLE`.

pub(crate) mod ids;
pub(crate) mod numbers;
pub(crate) mod placeholders;
pub(crate) mod relative;
pub(crate) mod timestamps;
pub(crate) mod urls;
