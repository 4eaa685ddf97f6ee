# The two commands an administrator or developer needs; CI runs `make test`.
.PHONY: dev test tools build policies package publish

# Run the bridge locally with the ID.me simulator and a demo relying party.
dev:
	go run ./function dev

# Install the test tools (Azurite, from the npm registry, into .ci/node_modules) and run
# every test with the race detector.
test: tools
	go test -race -count=1 ./...

# Azurite (npm, into .ci/node_modules) for the Blob store tests; xmllint (Debian's
# libxml2-utils) for the B2C policy schema checks; Chromium (Debian's chromium) for the
# browser tests. Azurite is pinned to 3.35.0, the last release whose engines accept Node 20;
# the tests start it with --skipApiVersionCheck.
tools: .ci/node_modules/.package-lock.json
	@command -v xmllint >/dev/null || apt-get install -y -q libxml2-utils >/dev/null 2>&1 || \
		(apt-get update -q >/dev/null && apt-get install -y -q libxml2-utils >/dev/null) || \
		{ echo "xmllint is needed: apt-get install libxml2-utils"; exit 1; }
	@[ -x /usr/bin/chromium ] || apt-get install -y -q chromium >/dev/null 2>&1 || \
		(apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null) || \
		{ echo "Chromium is needed for the browser tests: apt-get install chromium"; exit 1; }

# npm writes node_modules/.package-lock.json on install, so a changed lock file reinstalls.
.ci/node_modules/.package-lock.json: .ci/package-lock.json
	@echo "installing the test tools from .ci/package-lock.json (Azurite) into .ci/node_modules"
	@npm ci --prefix .ci --no-audit --no-fund --loglevel=warn

# Render the B2C policy files for one environment of policies/appsettings.json.
policies:
	go run ./function policy render -env $(or $(ENV),Development)

# The Linux binary the Functions host starts.
build:
	GOOS=linux GOARCH=amd64 CGO_ENABLED=0 go build -o handler ./function

# The Functions app package in $(DIST): the executable host.json names, host.json and the
# catch-all function. azd deploys this folder (azure.yaml); zip its contents for az.
DIST ?= dist
GOBUILD_LINUX = GOOS=linux GOARCH=amd64 CGO_ENABLED=0 go build -trimpath -ldflags='-s -w'
package:
	@[ -n "$(DIST)" ] && [ "$(DIST)" != "." ] && [ "$(DIST)" != "/" ] || { echo "DIST must name a folder of its own"; exit 1; }
	rm -rf "$(DIST)" && mkdir -p "$(DIST)/function"
	$(GOBUILD_LINUX) -o "$(DIST)/handler" ./function
	cp host.json "$(DIST)/" && cp function/function.json "$(DIST)/function/"

# Publish without azd: build ./handler (host.json's defaultExecutablePath) and hand the folder to
# Core Tools, which packages it as .funcignore says. APP is the Function App's name.
publish:
	@[ -n "$(APP)" ] || { echo "usage: make publish APP=<function app name>"; exit 1; }
	$(GOBUILD_LINUX) -o handler ./function
	func azure functionapp publish "$(APP)" --custom
