"""`python -m services.demo --size medium`: the same as `cpa demo`."""
import sys

from services.demo import main

sys.exit(main(sys.argv[1:]))
