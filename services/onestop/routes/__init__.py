"""HTTP routes of the onestop service (thin: parse, authorise, call one flow, shape the answer)."""
