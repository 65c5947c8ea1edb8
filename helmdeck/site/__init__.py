"""The site inventory (DESIGN.md section 2): one validated, immutable description of a site."""
