"""Export and sync jobs: catalogue -> shop, read in bulk, compared field by field, written only
where something differs, previewed, guarded, and spread over lanes that share the shop fairly.

    stages.py    the job from plan to end: items, read and write stages, guard, watermark
    lane.py      one lane task: a slot, a batch of items, the next lane
    batch.py     one batch: catalogue and shop read in bulk, compared, written, items closed
    source.py    the catalogue side of a batch          reading.py   the shop side of a batch
    desired.py   the state the catalogue wants           state.py     current, desired, plan, digest
    push.py      writing one product's plan              bindings.py  product <-> shop record
    shopview.py  what the job knows of the shop          dependencies.py  categories found or created
    text.py      texts for every shop language           guard.py     the change guard
"""

from prestasync.export.lane import run_lane
from prestasync.export.stages import advance, enqueue_lanes, plan

__all__ = ["advance", "enqueue_lanes", "plan", "run_lane"]
