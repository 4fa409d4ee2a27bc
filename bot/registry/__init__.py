"""The case registry: normalisation of what people type and CSV import."""
