"""Guards of ``/device-needs`` and ``/device-referrals``: the object loaded through the
scoped query (404), then the permission (403); the operator's answers check theirs."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from cnscd_api.auth.dependencies import guarded, require
from cnscd_api.core.permissions import Permission, Principal
from cnscd_api.devices import service
from cnscd_api.models import DeviceNeed, DeviceReferral

P = Permission
NeedReader = Annotated[Principal, Depends(require(P.DEVICE_NEEDS_READ))]
NeedWriter = Annotated[Principal, Depends(require(P.DEVICE_NEEDS_WRITE))]
ReferralReader = Annotated[Principal, Depends(require(P.DEVICE_REFERRALS_READ))]
ReferralWriter = Annotated[Principal, Depends(require(P.DEVICE_REFERRALS_WRITE))]

NeedForRead = Annotated[
    DeviceNeed, Depends(guarded(service.get_need, P.DEVICE_NEEDS_READ, "need_id"))
]
NeedForWrite = Annotated[
    DeviceNeed, Depends(guarded(service.get_need_for_write, P.DEVICE_NEEDS_WRITE, "need_id"))
]
ReferralForRead = Annotated[
    DeviceReferral,
    Depends(guarded(service.get_referral, P.DEVICE_REFERRALS_READ, "referral_id")),
]
ReferralForAnswer = Annotated[
    DeviceReferral,
    Depends(guarded(service.get_referral_for_write, P.DEVICE_REFERRALS_READ, "referral_id")),
]
ReferralForWrite = Annotated[
    DeviceReferral,
    Depends(guarded(service.get_referral_for_write, P.DEVICE_REFERRALS_WRITE, "referral_id")),
]
