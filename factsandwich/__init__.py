"""factsandwich: spot migration myths in local feeds and draft fact-sandwich responses."""

__version__ = "0.1.0"
