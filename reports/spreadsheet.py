"""The one guard for every CSV cell the platform writes (open data and the program overview).

A cell starting with =, +, -, @, a tab or a carriage return runs as a formula when the file is
opened in a spreadsheet (OWASP, "CSV injection"), so such a cell gets a leading apostrophe.
Plain numbers such as -3 or -0.5 are left as they are: they cannot run, and stay numbers.
"""

import re
from typing import Any

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# ASCII digits only: "-٣" is no number to a spreadsheet.
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def spreadsheet_safe(value: Any) -> str:
    """Text for a CSV cell that a spreadsheet will not run; None is empty, booleans are yes/no."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    if text.startswith(_FORMULA_START) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text
