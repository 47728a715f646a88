//! Integration tests of the data engine: readers on fixture files, bad input, properties.
