"""How the levels of the tree hang together: a rule the unit service (creating a unit)
and reorganisations (re-homing the children of a closed unit) share."""

from __future__ import annotations

from cnscd_api.models import UnitLevel

# Which parents each level may hang under (a commune may hang directly under a province).
ALLOWED_PARENTS: dict[UnitLevel, frozenset[UnitLevel]] = {
    UnitLevel.DISTRICT: frozenset({UnitLevel.PROVINCE}),
    UnitLevel.COMMUNE: frozenset({UnitLevel.DISTRICT, UnitLevel.PROVINCE}),
    UnitLevel.VILLAGE: frozenset({UnitLevel.COMMUNE}),
}
