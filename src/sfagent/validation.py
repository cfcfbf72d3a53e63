"""The base of every request body model: strict, and free of NUL characters.

PostgreSQL text and JSON cannot hold U+0000, so a NUL anywhere in input is refused with
a 422 naming the field rather than failing later in the database.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


def find_nul(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string (or key) containing NUL, or None."""
    if isinstance(value, str):
        return path or "value" if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and "\x00" in key:
                return child
            found = find_nul(item, child)
            if found:
                return found
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = find_nul(item, f"{path}.{index}" if path else str(index))
            if found:
                return found
    return None


class InputModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul(cls, data: Any) -> Any:
        where = find_nul(data)
        if where:
            raise ValueError(f"{where} must not contain NUL (\\u0000) characters")
        return data
