"""AI interviewer adapters: the offline question bank, and the router that picks one per session."""
