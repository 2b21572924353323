"""document.openapi."""
