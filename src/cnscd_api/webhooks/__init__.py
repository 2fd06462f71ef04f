"""Webhook endpoints: the change feed pushed to partners, signed (Standard Webhooks)."""
