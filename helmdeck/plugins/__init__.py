"""Per-chart plugins: site inventory in, system overrides (with provenance) out."""
