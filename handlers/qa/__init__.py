"""Questions and answers from the curated content (answers); the ids of its buttons (choices)
and which of its handlers reads each (commands)."""
