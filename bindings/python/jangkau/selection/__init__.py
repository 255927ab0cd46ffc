"""Pilot selection: indicators and their catalogue (:mod:`.indicators`), multi-criteria
ranking (:mod:`.ranking`), dapil plans (:mod:`.dapil`) and facility-location models
(:mod:`.siting`)."""
