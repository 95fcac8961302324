# Both targets install dependencies first when node_modules is missing or older than the lock file.
.PHONY: bench test typecheck install clean

STAMP := node_modules/.muxbench-installed

$(STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(STAMP)

test: $(STAMP)
	node_modules/.bin/tsc --noEmit -p .
	node_modules/.bin/vitest run

bench: $(STAMP)
	QUICK=$(QUICK) node bin/run-ts.js bench/all.ts

typecheck: $(STAMP)
	node_modules/.bin/tsc --noEmit -p .

clean:
	rm -rf reports/bench
