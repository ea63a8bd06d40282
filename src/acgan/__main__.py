"""`python -m acgan ...` (and `torchrun -m acgan ...`) runs the command line."""

from acgan.cli import main

main()
