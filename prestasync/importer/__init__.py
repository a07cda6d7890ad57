"""The import job: a shop's whole products into the catalogue (see `job` for the flow and the
rule for problems, `reference`, `pages`, `images` and `translate` for its parts)."""

from prestasync.importer.job import parse_since, run_import

__all__ = ["parse_since", "run_import"]
