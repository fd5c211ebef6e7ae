"""The service layer: keyword-only functions that do the work; resources stay thin."""
