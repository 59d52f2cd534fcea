"""The contract tools: ``sluice schemas diff`` and ``sluice check``."""
