"""Pausing the cyclic garbage collector around work that allocates many long-lived objects.

Loading and solving create hundreds of thousands of small containers (records, their
dependency lists, keys, clauses) and free them by reference counting; the cyclic collector
finds nothing to free among them but would walk them again and again (it doubles a large
``json.loads`` and costs about a third of a solve). So they run with it paused.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def gc_paused():
    """Run the block with the cyclic GC off; on leaving, what the block left alive joins
    the oldest generation.

    Left in the youngest, those objects (a solve's pool, tens of thousands of records on a
    large channel) would all be walked by the young-generation pass that the first
    allocation after the block triggers (a tenth of a conda-forge-sized solve), only to be
    promoted. Moving them there directly (``gc.freeze`` then ``gc.unfreeze``, each a list
    splice) skips that pass; they are walked by full collections, as long-lived objects
    are. Skipped when the process has frozen objects of its own, which unfreezing would
    release."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if not gc.get_freeze_count():
                gc.freeze()
                gc.unfreeze()
            gc.enable()
