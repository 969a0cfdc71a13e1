"""Summaries of a day: the extractive summarizer (deterministic) and the LLM summarizer (litellm)."""
