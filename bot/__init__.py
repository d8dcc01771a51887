"""Application assembly: settings, CLI, channel adapters."""
