"""Behavioural analysis: pure computations over pre-aggregated rows (issue 17).

Services read aggregates from SQL (counts per hour of week, tip sizes with their counts,
enter/leave times, attendance per session...) and hand them to the functions here, which return
frozen, serializable results. Every insight carries `value`, `evidence` (what it was computed
from) and `uncertainty` (how sure it is, by the rule in `mhc.domain.statistics`). Nothing here
reads a username: inputs are keyed by person id, so a rename changes nothing.

Modules: `results` (the shapes every insight shares), `hours` (hour of week in the owner's
zone), `presence` (stays from enter/leave), one module per insight kind, `recap` (one session),
`audience` (the owner's audience) and `inferred` (attributes proposed from insights).
"""
