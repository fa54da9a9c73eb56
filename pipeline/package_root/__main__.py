"""``python -m newsingest``: the same entry point as the ``newsingest`` command.

The command line is imported only when run as ``__main__``: spawned pool processes
re-import this module as ``__mp_main__`` and need none of it (see ``pipeline/entry.py``).
"""

if __name__ == "__main__":
    import sys

    from newsingest.pipeline.entry import main

    sys.exit(main())
