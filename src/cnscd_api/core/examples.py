"""Ids and secrets that request-body examples of the OpenAPI document use.

Every request body has an example the server accepts. Examples name objects by these
ids; the test that posts every example (``tests/test_examples.py``) replaces each with
the id of a matching object it made, so an example must name an object only through
one of these constants (and a new kind of object gets a constant here and a line in
that test's substitution table).
"""

from __future__ import annotations

PROVINCE_ID = "0c6f5a2e-62b1-4c3d-9e4f-000000000062"  # Tỉnh Kon Tum
DISTRICT_ID = "0c6f5a2e-62b1-4c3d-9e4f-000000000610"  # Huyện Đắk Glei
COMMUNE_ID = "0c6f5a2e-62b1-4c3d-9e4f-000000023353"  # Xã Đắk Pék
VILLAGE_ID = "0c6f5a2e-62b1-4c3d-9e4f-0000023353a1"  # a village of Xã Đắk Pék
TEAM_ID = "7d3b9c1a-4e5f-4a6b-8c7d-9e0f1a2b3c4d"  # a team of that village
# A refresh token as issued (43 base64url characters); the test uses one it was issued.
REFRESH_TOKEN = "pQ8vX2mN5rT9wK3yB6hJ1dF4gL7sA0zC2eV5uI8oR1k"  # noqa: S105 -- an example
# The demo users' password (``cnscd demo``); the test gives its caller this one.
DEMO_PASSWORD = "KonTum-demo-2024"  # noqa: S105 -- public on purpose, refused in production
