"""Curated knowledge: YAML files beside this module and the code that loads them."""

from pathlib import Path

DEFAULT_CONTENT_DIR = Path(__file__).resolve().parent
