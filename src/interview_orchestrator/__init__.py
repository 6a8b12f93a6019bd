"""interview-orchestrator."""
