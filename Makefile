# The two commands: `make run` serves Gennaker, `make test` runs every test. Both install what
# they need first (see scripts/setup.sh) and are quick the second time.
.PHONY: run test setup cluster-up cluster-down

run:
	@scripts/run.sh

test:
	@scripts/test.sh

setup:
	@scripts/setup.sh

cluster-up:
	@end2end/cluster/up.sh

cluster-down:
	@end2end/cluster/down.sh
