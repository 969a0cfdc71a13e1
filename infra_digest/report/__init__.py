"""Building the day's report: context (pure), labels per language, and jinja2 rendering."""
