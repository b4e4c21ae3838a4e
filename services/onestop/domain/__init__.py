"""Pure onestop modules: rules, parsing, state tables, reference data (no database, no web framework)."""
