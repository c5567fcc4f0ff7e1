"""Audio → typed feature values with units and provenance (signal, dnn, symbolic)."""
