"""Guards of the catalogue: every caller reads it; the province admin edits it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from cnscd_api.auth.dependencies import guarded, require
from cnscd_api.catalogue import service
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.models import ContentCategory, Indicator

CatalogueReader = Annotated[Principal, Depends(require(Permission.CAMPAIGNS_READ))]
CatalogueWriter = Annotated[Principal, Depends(require(Permission.CATALOGUE_WRITE))]

CategoryForRead = Annotated[
    ContentCategory,
    Depends(guarded(service.get_category, Permission.CAMPAIGNS_READ, "category_id")),
]
CategoryForWrite = Annotated[
    ContentCategory,
    Depends(guarded(service.get_category, Permission.CATALOGUE_WRITE, "category_id")),
]
IndicatorForRead = Annotated[
    Indicator,
    Depends(guarded(service.get_indicator, Permission.CAMPAIGNS_READ, "indicator_id")),
]
IndicatorForWrite = Annotated[
    Indicator,
    Depends(guarded(service.get_indicator, Permission.CATALOGUE_WRITE, "indicator_id")),
]
