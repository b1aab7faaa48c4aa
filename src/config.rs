//! Command-line flags and apiparity.yaml, validated into one value the rest of the program reads.
