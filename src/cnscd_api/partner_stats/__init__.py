"""Dashboards where features meet: support requests, the reports partners' staff
supported, and households without a smartphone, served under ``/stats`` like the others
(a package of its own: the activities feed the stats aggregates, so ``stats`` cannot
read the activities back)."""
