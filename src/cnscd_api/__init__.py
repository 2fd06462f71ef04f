"""cnscd-api: the backend of the Community Digital Technology Teams network."""

__version__ = "0.1.0"
