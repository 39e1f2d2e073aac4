"""A local replica of almodon.com (see server.py)."""
