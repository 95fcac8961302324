# Both targets install dependencies first when node_modules is missing or older than the lock file.
.PHONY: bench bench-gate test typecheck lint install clean

STAMP := node_modules/.muxbench-installed

$(STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

install: $(STAMP)

test: $(STAMP)
	node_modules/.bin/tsc --noEmit -p .
	node_modules/.bin/biome check .
	node_modules/.bin/vitest run

# bench/all.ts exits 0, 1 when a point failed (after every scenario), 130/143 when stopped; make reports a
# failure as its own exit 2. See README, "Exit status".
bench: $(STAMP)
	QUICK=$(QUICK) node bin/run-ts.js bench/all.ts

# The regression gate: this working tree against BASE (a git ref), both measured here, interleaved.
# The gate exits 0 no regression, 1 regression, 2 could not decide; make reports either failure as its
# own exit 2 ("Error 1" / "Error 2" names the gate's). See README, "The regression gate".
BASE ?= HEAD
bench-gate: $(STAMP)
	node bin/muxbench.js gate --base $(BASE) $(GATE_ARGS)

typecheck: $(STAMP)
	node_modules/.bin/tsc --noEmit -p .

# Biome (biome.jsonc): lint and formatting, checked by `make test`; `npm run format` rewrites.
lint: $(STAMP)
	node_modules/.bin/biome check .

clean:
	rm -rf reports/bench
