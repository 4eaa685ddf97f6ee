# The two commands an administrator or developer needs; CI runs `make test`.
.PHONY: dev test tools build

# Run the bridge locally with the ID.me simulator and a demo relying party.
dev:
	go run ./function dev

# Install the test tools (Azurite, from the npm registry, into .ci/node_modules) and run
# every test with the race detector.
test: tools
	go test -race -count=1 ./...

tools:
	@[ -x .ci/node_modules/.bin/azurite-blob ] || npm ci --prefix .ci --no-audit --no-fund

# The Linux binary the Functions host starts.
build:
	GOOS=linux GOARCH=amd64 CGO_ENABLED=0 go build -o handler ./function
