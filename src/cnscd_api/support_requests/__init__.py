"""``/support-requests``: teams ask a telecom partner for staff, the partner answers."""
