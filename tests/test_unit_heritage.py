"""Who inherits a closed unit is materialised (``UnitHeritage``) so that scope checks below
the country run no recursive query: after reorganisations it names, for every subtree,
exactly the closed units the recursive lineage walk finds, and officers read them."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from cnscd_api.config import Settings
from cnscd_api.core.scope import heirs_in, heritage_ids
from cnscd_api.flows.reform2025 import apply_reform
from cnscd_api.models import Role, Unit, UnitHeritage
from tests.factories import Tree, bearer, make_user


def test_the_materialised_heirs_equal_the_lineage_walk_for_every_subtree(
    client: TestClient, session: Session, settings: Settings, tree: Tree
) -> None:
    apply_reform(session, "62")
    session.commit()
    assert session.execute(sa.select(sa.func.count()).select_from(UnitHeritage)).scalar_one()
    paths = ["/", *session.exec(select(Unit.path)).all()]
    closed = 0
    for path in paths:
        walked = set(session.execute(heritage_ids(path)).scalars())
        assert set(session.execute(heirs_in(path)).scalars()) == walked, path
        closed += len(walked)
    assert closed, "the reform closed units whose heirs lie in some subtree"

    # An officer of a unit alive today reads the closed units it inherited.
    heir = session.exec(
        select(Unit).where(
            col(Unit.valid_to).is_(None),
            col(Unit.path).in_(select(UnitHeritage.heir_path)),
            col(Unit.level) == "commune",
        )
    ).first()
    assert heir is not None
    inherited = set(session.execute(heirs_in(heir.path)).scalars())
    officer = make_user(session, Role.COMMUNE_OFFICER, heir)
    session.commit()
    for unit_id in inherited:
        answer = client.get(f"/api/v1/units/{unit_id}", headers=bearer(settings, officer))
        assert answer.status_code == 200, answer.text
