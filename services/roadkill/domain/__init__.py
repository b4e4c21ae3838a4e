"""Pure roadkill domain: geometry, road network, routing, speech parsing, dedup, hotspots, reference data
and the incident state machine. No web framework, database or flow imports."""
