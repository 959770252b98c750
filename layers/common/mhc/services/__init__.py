"""Use cases: each composes store, clients and domain code inside one transaction."""
