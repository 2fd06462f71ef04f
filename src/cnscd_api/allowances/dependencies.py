"""Guards of ``/allowance-rules`` and ``/allowance-statements``: the object loaded through
the scoped query (404), then the permission (403)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from cnscd_api.allowances import service
from cnscd_api.auth.dependencies import guarded, require
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.models import AllowanceRule, AllowanceStatement

P = Permission
AllowanceReader = Annotated[Principal, Depends(require(P.ALLOWANCES_READ))]
RuleWriter = Annotated[Principal, Depends(require(P.ALLOWANCE_RULES_WRITE))]
StatementPreparer = Annotated[Principal, Depends(require(P.ALLOWANCE_STATEMENTS_PREPARE))]

RuleForRead = Annotated[
    AllowanceRule, Depends(guarded(service.get_rule, P.ALLOWANCES_READ, "rule_id"))
]
RuleForWrite = Annotated[
    AllowanceRule,
    Depends(guarded(service.get_rule_for_write, P.ALLOWANCE_RULES_WRITE, "rule_id")),
]
StatementForRead = Annotated[
    AllowanceStatement,
    Depends(guarded(service.get_statement, P.ALLOWANCES_READ, "statement_id")),
]
StatementForPrepare = Annotated[
    AllowanceStatement,
    Depends(
        guarded(service.get_statement_for_write, P.ALLOWANCE_STATEMENTS_PREPARE, "statement_id")
    ),
]
StatementForApprove = Annotated[
    AllowanceStatement,
    Depends(
        guarded(service.get_statement_for_write, P.ALLOWANCE_STATEMENTS_APPROVE, "statement_id")
    ),
]
