"""DuckDB storage: connections, DDL, and transactional partition writes."""
