"""One exception hierarchy: errors a user can cause carry a one-line message (what, where, how to fix)."""


class FactsandwichError(Exception):
    """Base of every error the CLI and web UI report as a message rather than a traceback."""


class ClaimsError(FactsandwichError):
    """The claims database is malformed (file, field, what is wrong)."""


class SourceError(FactsandwichError):
    """A feed or posts file cannot be read or parsed."""


class ModelMissingError(FactsandwichError):
    """An encoder's packaged model is not installed."""


class ConfigError(FactsandwichError):
    """A setting has a value that cannot be used."""


class FactCheckError(FactsandwichError):
    """An external fact-check file cannot be imported as a whole (file and what is wrong)."""
