"""Reading the audit log, scoped like everything else."""
