"""HTTP routes of the onestop service (thin: validation, auth, calls into domain modules)."""
