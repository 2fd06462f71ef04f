"""Masking personal data (phone, email, birth year) for roles that may not see it and
for the audit log, which records that such data changed but not its value."""

from __future__ import annotations

# ``household_head``: a household handed to an operator (device referrals), whose name the
# audit log keeps masked so that it does not outlive the referral's retention.
PERSONAL_FIELDS = frozenset({"phone", "email", "birth_year", "household_head"})
SECRET_FIELDS = frozenset({"password", "password_hash", "secret", "secret_hash", "client_secret"})
MASK = "***"


def mask_phone(phone: str | None) -> str | None:
    if not phone:
        return phone
    if len(phone) <= 4:
        return "*" * len(phone)
    return phone[:2] + "*" * (len(phone) - 4) + phone[-2:]


def mask_email(email: str | None) -> str | None:
    if not email:
        return email
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else MASK


def mask_value(field: str, value: object) -> object:
    if value is None:
        return None
    if field in SECRET_FIELDS:
        return MASK
    if field == "phone":
        return mask_phone(str(value))
    if field == "email":
        return mask_email(str(value))
    if field in PERSONAL_FIELDS:
        return MASK
    return value
