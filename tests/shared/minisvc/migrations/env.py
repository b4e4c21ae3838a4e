from shared.migrations import run_env
from tests.shared.minisvc.app import metadata

run_env(metadata)
