"""Service endpoints: liveness, readiness and metrics."""
