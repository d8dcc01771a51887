"""Questions and answers from the curated content (answers)."""
