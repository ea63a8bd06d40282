"""The one base type of a user's mistake: a setting, a file, a colour or a request acgan cannot take.

Every layer raises a subclass of `UserError` for what the user can fix (each says what and where in
one line), and the command line prints exactly those as one red line with exit code 2. Anything else
is a bug and keeps its traceback.
"""


class UserError(ValueError):
    """Something the user gave that acgan cannot use; its message names the file, line, field or option."""


class ConfigError(UserError):
    """A setting or option that is unknown, of the wrong type, out of range or impossible here."""


SHOWN_CHARS = 80  # of a bad value, echoed in a message: a 10 MB colour name is not worth 10 MB of output


def shown(value: object) -> str:
    """A value as a message quotes it: its repr, at most SHOWN_CHARS characters, saying how long it was if cut."""
    text = repr(value)
    if len(text) <= SHOWN_CHARS:
        return text
    length = f"{len(value):,} characters" if isinstance(value, str) else f"{len(text):,} characters as text"
    return f"{text[:SHOWN_CHARS]}... ({length})"


class WrongTypeError(UserError, TypeError):
    """An argument of the wrong kind (a float where a whole number belongs, a number where a colour name does): a
    UserError to the command line, and a TypeError to Python code, as Python's own would be."""
