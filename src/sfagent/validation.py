"""The base of every request body model: strict, and storable text only.

PostgreSQL text and JSON cannot hold U+0000, and a lone UTF-16 surrogate ("\\udc00") is
not UTF-8 at all, so either anywhere in the input is refused with a 422 naming the field
rather than failing later in the database or the response encoder.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


def unstorable(text: str) -> bool:
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def find_unstorable(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string (or key) that cannot be stored, or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return path or "value"  # NaN and Infinity are not JSON; PostgreSQL refuses them
    if isinstance(value, str):
        return path or "value" if unstorable(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            shown = ascii(key)[1:-1] if isinstance(key, str) else str(key)
            child = f"{path}.{shown}" if path else shown
            if isinstance(key, str) and unstorable(key):
                return child
            found = find_unstorable(item, child)
            if found:
                return found
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = find_unstorable(item, f"{path}.{index}" if path else str(index))
            if found:
                return found
    return None


class InputModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _refuse_unstorable_text(cls, data: Any) -> Any:
        where = find_unstorable(data)
        if where:
            raise ValueError(f"{where} must be valid UTF-8 text without NUL (\\u0000) characters")
        return data
