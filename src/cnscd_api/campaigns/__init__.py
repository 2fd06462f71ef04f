"""Campaigns (đợt cao điểm): windows of days with the contents and indicators they
gather, and the targets every tier sets for the tier below."""
