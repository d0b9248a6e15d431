"""``python -m cds``: the same command line as the ``cds`` script."""

from cds.cli import main

if __name__ == "__main__":
    main()
