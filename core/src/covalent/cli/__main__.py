"""``python -m covalent.cli``."""

from covalent.cli import main

main()
