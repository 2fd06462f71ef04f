"""Dashboard statistics: aggregates kept with every write, and the endpoints reading them."""

# The registry's aggregates follow every session's writes of teams and members.
from cnscd_api.stats import registry as registry
