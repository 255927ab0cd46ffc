"""Whole runs: the pipeline of one region (:mod:`.pipeline`), its HTML report
(:mod:`.report`) and many regions as Dask tasks (:mod:`.batch`)."""
