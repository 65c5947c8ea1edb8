"""The site inventory (``site.yaml``): one validated, immutable description of a site."""
