"""The discrete-event model: one module per real thing, assembled by ``build``."""
