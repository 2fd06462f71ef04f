"""Allowances of the teams: rules per province, monthly statements, their exports."""
