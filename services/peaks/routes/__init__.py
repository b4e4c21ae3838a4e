"""HTTP routes of the peaks service (thin: validation, auth, calls into domain modules)."""
