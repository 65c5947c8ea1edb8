"""The site inventory service: the only writer of the stored site (import), and its reader
for people (show, export), with the site's own secrets redacted unless revealed."""

from helmdeck.inventory.service import SiteDocument, SiteService, validate_site_file

__all__ = ["SiteDocument", "SiteService", "validate_site_file"]
