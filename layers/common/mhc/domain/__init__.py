"""Pure domain code: models and rules with no I/O, no environment and no AWS."""
