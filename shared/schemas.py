"""The base of every strict request body: unknown fields are refused, text is trimmed."""

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A request body that names every field it accepts; anything else is a 422."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
