#!/usr/bin/env python
"""Django's command line; `betang` is the same with a friendlier name."""

import sys

from betang.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv))
