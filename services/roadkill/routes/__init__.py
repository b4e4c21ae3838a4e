"""HTTP routes of the roadkill service (thin: validation, auth, calls into domain modules)."""
