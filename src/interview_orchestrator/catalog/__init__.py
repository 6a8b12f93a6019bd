"""Interview templates loaded from YAML files (custom directories first, then the built-ins)."""

from .yaml_catalog import YamlTemplateCatalog

__all__ = ["YamlTemplateCatalog"]
