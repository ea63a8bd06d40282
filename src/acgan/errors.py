"""The one base type of a user's mistake: a setting, a file, a colour or a request acgan cannot take.

Every layer raises a subclass of `UserError` for what the user can fix (each says what and where in
one line), and the command line prints exactly those as one red line with exit code 2. Anything else
is a bug and keeps its traceback.
"""


class UserError(ValueError):
    """Something the user gave that acgan cannot use; its message names the file, line, field or option."""


class ConfigError(UserError):
    """A setting or option that is unknown, of the wrong type, out of range or impossible here."""
