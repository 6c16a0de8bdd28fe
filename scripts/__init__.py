"""Developer scripts run from the checkout (not shipped in the package)."""
