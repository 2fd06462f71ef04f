"""``/device-needs`` and ``/device-referrals``: households without a smartphone, counted
per village, and the few a commune hands to an operator for a phone and a package."""
