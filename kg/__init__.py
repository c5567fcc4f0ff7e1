"""Features <-> RDF, the stores, validation and export."""
