"""Use cases where features meet, each with a home of its own instead of one feature's
service importing another's: a reorganisation of the map closes and creates units, moves
teams and their leaders, re-homes users and API clients and recomputes the aggregates.

Flows sit above the feature packages (they import them; no feature imports a flow), so
the features form no import cycle (``make lint`` checks the contracts in
``pyproject.toml``).
"""
