"""infra-digest: a daily, link-backed digest of the AI-infrastructure open-source world."""

__version__ = "0.1.0"
