"""Pure logic: no I/O, no outside libraries."""
