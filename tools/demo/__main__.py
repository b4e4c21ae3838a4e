"""`python -m tools.demo --size medium`: the same as `cpa demo`."""
import sys

from tools.demo import main

sys.exit(main(sys.argv[1:]))
